//! Dense symmetric positive-definite algebra for the small normal equations of the GLM (a handful of coefficients).
//!
//! In: a row-major `p × p` matrix. Out: its Cholesky factor, solutions and inverse, or `None` when the matrix is not
//! numerically positive definite (a rank-deficient design or weights collapsing under separation); callers turn
//! `None` into an error or a "not converged" fit rather than a panic.

/// Cholesky factor `L` (row-major, lower triangle) of a symmetric positive-definite `p × p` matrix.
pub fn cholesky(a: &[f64], p: usize) -> Option<Vec<f64>> {
    if a.len() != p * p {
        return None;
    }
    let scale = (0..p).map(|i| a[i * p + i].abs()).fold(0.0f64, f64::max);
    let mut l = vec![0.0; p * p];
    for i in 0..p {
        for j in 0..=i {
            let mut s = a[i * p + j];
            for k in 0..j {
                s -= l[i * p + k] * l[j * p + k];
            }
            if i == j {
                // A pivot this small relative to the diagonal means the design is (numerically) rank-deficient.
                if !s.is_finite() || s <= scale * 1e-13 {
                    return None;
                }
                l[i * p + i] = s.sqrt();
            } else {
                l[i * p + j] = s / l[j * p + j];
            }
        }
    }
    Some(l)
}

/// Solve `L Lᵀ x = b` given the Cholesky factor.
pub fn chol_solve(l: &[f64], p: usize, b: &[f64]) -> Vec<f64> {
    let mut y = vec![0.0; p];
    for i in 0..p {
        let mut s = b[i];
        for k in 0..i {
            s -= l[i * p + k] * y[k];
        }
        y[i] = s / l[i * p + i];
    }
    let mut x = vec![0.0; p];
    for i in (0..p).rev() {
        let mut s = y[i];
        for k in i + 1..p {
            s -= l[k * p + i] * x[k];
        }
        x[i] = s / l[i * p + i];
    }
    x
}

/// Inverse of `L Lᵀ` (row-major), column by column.
pub fn chol_inverse(l: &[f64], p: usize) -> Vec<f64> {
    let mut inv = vec![0.0; p * p];
    let mut e = vec![0.0; p];
    for j in 0..p {
        e.iter_mut().for_each(|v| *v = 0.0);
        e[j] = 1.0;
        let col = chol_solve(l, p, &e);
        for i in 0..p {
            inv[i * p + j] = col[i];
        }
    }
    inv
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverse_of_a_small_spd_matrix() {
        let a = [4.0, 2.0, 2.0, 3.0];
        let l = cholesky(&a, 2).unwrap();
        let inv = chol_inverse(&l, 2);
        // det = 8 → inverse = [3, −2; −2, 4] / 8
        let want = [0.375, -0.25, -0.25, 0.5];
        for (g, w) in inv.iter().zip(want) {
            assert!((g - w).abs() < 1e-15);
        }
        assert!(cholesky(&[1.0, 1.0, 1.0, 1.0], 2).is_none());
    }
}
