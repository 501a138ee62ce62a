//! `tvp report` and `tvp run`: the paper's Table III through `--from-oer`, byte-identical SVG, and the main job end
//! to end, with the HTML report opened in headless Chromium.

use std::path::Path;
use std::process::Command;

use super::{shared, tvp};

#[test]
fn from_oer_reproduces_table_iii_ad_in_113_rows_and_flags_autogen_deepseek_s1_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let run = tvp(&["report", "--from-oer", &shared("paper/table3_oer_ad.csv"), "--out", out.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("113 of 114 reported values agree"), "{}", run.stdout);
    assert!(run.stdout.contains("disagrees: AutoGen-DeepSeek S1-2: reported 0.006, computed 0.0039"), "{}", run.stdout);
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("| AutoGen-DeepSeek | S1-2 |"), "{md}");
    for stem in
        ["fig3_oer_vs_trust_by_framework", "fig4a_ad_by_model", "fig6_oer_boxes_by_trust", "fig8_oer_triplets_3d"]
    {
        for ext in ["svg", "png"] {
            let path = out.join("figures").join(format!("{stem}.{ext}"));
            assert!(std::fs::metadata(&path).map(|m| m.len() > 1000).unwrap_or(false), "{}", path.display());
        }
    }
    // Same inputs, same SVG bytes.
    let again = dir.path().join("r2");
    let run = tvp(&["report", "--from-oer", &shared("paper/table3_oer_ad.csv"), "--out", again.to_str().unwrap()]);
    assert_eq!(run.code, 0);
    for entry in std::fs::read_dir(out.join("figures")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "svg") {
            let name = path.file_name().unwrap();
            assert!(
                std::fs::read(&path).unwrap() == std::fs::read(again.join("figures").join(name)).unwrap(),
                "{name:?}"
            );
        }
    }
}

#[test]
fn report_refuses_a_bad_oer_table_with_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "framework,model,sub_scene,oer_tau0.1,oer_tau0.9\nA,B,S1,0.1,1.7\n").unwrap();
    let run = tvp(&["report", "--from-oer", bad.to_str().unwrap(), "--out", dir.path().join("o").to_str().unwrap()]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("line 2") && run.stderr.contains("[0, 1]"), "{}", run.stderr);
}

/// Open `index` in headless Chromium through a page that loads it in a frame and reports, once everything has
/// loaded, how many images there are and how many have a natural width of 0; the console is read from Chromium's
/// log. Returns (images, broken, console errors).
fn open_in_chromium(index: &Path) -> (usize, usize, Vec<String>) {
    let chromium = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|c| Command::new(c).arg("--version").output().is_ok_and(|o| o.status.success()))
        .expect("Chromium is installed (.ci/run installs the Debian package `chromium`)");
    let dir = index.parent().unwrap();
    let probe = dir.join("probe.html");
    std::fs::write(
        &probe,
        r#"<!DOCTYPE html><html><body><iframe id="f" src="index.html" width="1200" height="900"></iframe>
<script>
document.getElementById('f').addEventListener('load', () => {
  const imgs = Array.from(document.getElementById('f').contentDocument.images);
  const broken = imgs.filter(i => !i.complete || i.naturalWidth === 0).length;
  const out = document.createElement('pre');
  out.id = 'result';
  out.textContent = 'IMAGES=' + imgs.length + ' BROKEN=' + broken;
  document.body.appendChild(out);
});
</script></body></html>"#,
    )
    .unwrap();
    let profile = tempfile::tempdir().unwrap();
    let output = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--allow-file-access-from-files",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=10000",
            &format!("--user-data-dir={}", profile.path().display()),
            "--dump-dom",
            &format!("file://{}", probe.display()),
        ])
        .output()
        .expect("chromium runs");
    let dom = String::from_utf8_lossy(&output.stdout);
    let log = String::from_utf8_lossy(&output.stderr);
    // The probe's script holds the same words: read them from its result element only.
    let marker = "<pre id=\"result\">";
    let result =
        &dom[dom.find(marker).unwrap_or_else(|| panic!("no result in the DOM:\n{dom}\n{log}")) + marker.len()..];
    let field = |name: &str| -> usize {
        let at = result.find(name).unwrap_or_else(|| panic!("no {name} in {result}")) + name.len();
        result[at..].chars().take_while(char::is_ascii_digit).collect::<String>().parse().unwrap()
    };
    let errors = log
        .lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Failed to load resource") || l.contains("Uncaught"))
        .map(str::to_string)
        .collect();
    (field("IMAGES="), field("BROKEN="), errors)
}

#[test]
fn run_makes_a_report_whose_page_loads_every_figure_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let run = tvp(&["run", "--out", out.to_str().unwrap(), "--chains", "2"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let index = out.join("report/index.html");
    assert_eq!(run.stdout.trim(), format!("report: {}", index.display()));
    for stage in ["[1/5]", "[2/5]", "[3/5]", "[4/5]", "[5/5]"] {
        assert!(run.stderr.contains(stage), "{}", run.stderr);
    }
    // The metrics and fits are tables of the store, for SQL.
    let store = out.join("store");
    let counts = super::ingest::sql_csv(
        store.to_str().unwrap(),
        "SELECT (SELECT count(*) FROM metrics_cells) AS cells, (SELECT sum(chains) FROM metrics_cells) AS chains, \
         (SELECT count(DISTINCT system) FROM fits) AS systems, (SELECT count(*) FROM fits WHERE chosen) AS chosen, \
         (SELECT count(*) FROM metrics_systems WHERE metric = 'ad' AND aggregation = 'mean_of_scenarios') AS ad",
    );
    assert_eq!(counts[1], "456,912,8,8,8", "8 systems x 19 scenarios x 3 trust levels, 2 chains each");
    let html = std::fs::read_to_string(&index).unwrap();
    assert!(!html.contains("http://") && !html.contains("https://"), "the report must not reach the network");
    let (images, broken, errors) = open_in_chromium(&index);
    let figures = std::fs::read_dir(out.join("report/figures")).unwrap().count() / 2;
    assert_eq!(images, figures, "every figure is on the page");
    assert!(images >= 12, "{images}");
    assert_eq!(broken, 0);
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}
