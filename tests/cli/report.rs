//! `tvp report` and `tvp run`: the paper's Table III through `--from-oer`, byte-identical SVG, the main job end
//! to end with the HTML report opened in headless Chromium (figures load; a finding leads to its transcript with
//! the labeled turn highlighted and no secret in the page unless `--reveal`), and reports of real folders that
//! carry no trust level or scenario.

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

/// Load `probe` (a page beside the report) in headless Chromium and return its DOM after scripts ran, and
/// Chromium's log.
fn chromium_dom(probe: &Path) -> (String, String) {
    let chromium = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|c| Command::new(c).arg("--version").output().is_ok_and(|o| o.status.success()))
        .expect("Chromium is installed (.ci/run installs the Debian package `chromium`)");
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
    (String::from_utf8_lossy(&output.stdout).into_owned(), String::from_utf8_lossy(&output.stderr).into_owned())
}

/// The text of the probe's `<pre id="result">` (the probe's script holds the same words: read them from its
/// result element only), with the DOM's escapes undone.
fn probe_result(dom: &str, log: &str) -> String {
    let marker = "<pre id=\"result\">";
    let start = dom.find(marker).unwrap_or_else(|| panic!("no result in the DOM:\n{dom}\n{log}")) + marker.len();
    let end = start + dom[start..].find("</pre>").expect("the result element ends");
    dom[start..end].replace("&lt;", "<").replace("&gt;", ">").replace("&nbsp;", "\u{a0}").replace("&amp;", "&")
}

/// Open `index` in headless Chromium through a page that loads it in a frame and reports, once everything has
/// loaded, how many images there are and how many have a natural width of 0; the console is read from Chromium's
/// log. Returns (images, broken, console errors).
fn open_in_chromium(index: &Path) -> (usize, usize, Vec<String>) {
    let probe = index.parent().unwrap().join("probe.html");
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
    let (dom, log) = chromium_dom(&probe);
    let result = probe_result(&dom, &log);
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

/// What following a finding to its transcript showed.
#[derive(Debug, serde::Deserialize)]
struct Followed {
    run: String,
    turn: String,
    item: String,
    title_run: String,
    selected: Vec<String>,
    highlighted: Vec<String>,
    findings_text: String,
    transcript_text: String,
}

/// Open the report in a frame, keep the findings of match kind `exact`, click the first finding's run and read
/// the transcript view: which run it shows, which turn is selected, which turns are highlighted as exposing, and
/// the visible text of both views.
fn follow_first_finding(index: &Path) -> Followed {
    let probe = index.parent().unwrap().join("follow.html");
    std::fs::write(
        &probe,
        r#"<!DOCTYPE html><html><body><iframe id="f" src="index.html" width="1200" height="900"></iframe>
<script>
document.getElementById('f').addEventListener('load', () => {
  const doc = document.getElementById('f').contentDocument;
  const match = doc.getElementById('f-match');
  match.value = 'exact';
  match.dispatchEvent(new Event('change'));
  const link = doc.querySelector('#f-table tbody a.run-link');
  const row = link.closest('tr');
  const result = { run: link.dataset.run, turn: link.dataset.turn,
    item: row.children[3].textContent.split(' ')[0], findings_text: doc.body.innerText };
  link.click();
  setTimeout(() => {
    const turns = sel => Array.from(doc.querySelectorAll(sel)).map(li => li.dataset.turn);
    result.title_run = doc.getElementById('t-title').dataset.run;
    result.selected = turns('#t-messages > li.selected');
    result.highlighted = turns('#t-messages > li.exposed');
    result.transcript_text = doc.body.innerText;
    const out = document.createElement('pre');
    out.id = 'result';
    out.textContent = JSON.stringify(result);
    document.body.appendChild(out);
  }, 500);
});
</script></body></html>"#,
    )
    .unwrap();
    let (dom, log) = chromium_dom(&probe);
    serde_json::from_str(&probe_result(&dom, &log)).unwrap_or_else(|e| panic!("{e}: {dom}"))
}

/// Whether `value` occurs in `text` standing alone (not inside a longer word or number: `10107` is not `0107`).
fn occurs(text: &str, value: &str) -> bool {
    let (text, value) = (text.to_lowercase(), value.to_lowercase());
    text.match_indices(&value).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + value.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// Every secret value and extra match form of the embedded catalog (items, not decoys) of four characters or more.
fn catalog_secrets() -> Vec<(String, String)> {
    let catalog = tvp::catalog::Catalog::embedded().unwrap();
    let mut out: Vec<(String, String)> = catalog
        .scenarios
        .iter()
        .flat_map(|s| s.items.iter())
        .flat_map(|i| i.values.iter().chain(&i.forms).map(move |v| (i.id.clone(), v.clone())))
        .filter(|(_, v)| v.chars().count() >= 4)
        .collect();
    out.sort();
    out.dedup();
    out
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
    // The simulator's truth is the validation set: the labeler's error and the corrected rates are reported.
    let md = std::fs::read_to_string(out.join("report/report.md")).unwrap();
    let corrected = md.split("### Rates corrected for labeling error").nth(1).expect("a validity section");
    assert!(corrected.contains("| sensitivity |") && corrected.contains("| specificity |"), "{corrected}");
    assert!(corrected.contains("| AgentScope-GPT | 0.9 |"), "{corrected}");
    assert!(md.contains("No external labels were merged"), "no judge, and the report says what it needs");
    let html = std::fs::read_to_string(&index).unwrap();
    assert!(!html.contains("http://") && !html.contains("https://"), "the report must not reach the network");
    let (images, broken, errors) = open_in_chromium(&index);
    let figures = std::fs::read_dir(out.join("report/figures")).unwrap().count() / 2;
    assert_eq!(images, figures, "every figure is on the page");
    assert!(images >= 12, "{images}");
    assert_eq!(broken, 0);
    assert!(errors.is_empty(), "console errors: {errors:#?}");

    // Follow a finding to its transcript: the selected turn is the finding's, the highlighted turns are the
    // run's labeled exposures, and no secret value is in the page's text.
    let followed = follow_first_finding(&index);
    assert_eq!(followed.title_run, followed.run);
    assert_eq!(followed.selected, vec![followed.turn.clone()]);
    let labeled = super::ingest::sql_csv(
        store.to_str().unwrap(),
        &format!("SELECT DISTINCT turn FROM exposures WHERE run_id = '{}' ORDER BY turn", followed.run),
    );
    assert_eq!(followed.highlighted, labeled[1..].to_vec(), "highlighted turns are the labeled ones");
    assert!(followed.highlighted.contains(&followed.turn));
    let secrets = catalog_secrets();
    for text in [&followed.findings_text, &followed.transcript_text] {
        let shown: Vec<&(String, String)> = secrets.iter().filter(|(_, v)| occurs(text, v)).collect();
        assert!(shown.is_empty(), "secrets in the page text: {shown:?}");
    }
    assert!(followed.transcript_text.contains("**"), "the evidence is there, masked");

    // With --reveal the same page shows the exposed value.
    let revealed = out.join("revealed");
    let run = tvp(&["report", "--store", store.to_str().unwrap(), "--out", revealed.to_str().unwrap(), "--reveal"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let followed = follow_first_finding(&revealed.join("index.html"));
    let values: Vec<&String> = secrets.iter().filter(|(id, _)| *id == followed.item).map(|(_, v)| v).collect();
    assert!(!values.is_empty(), "item {} is in the catalog", followed.item);
    assert!(
        values.iter().any(|v| occurs(&followed.transcript_text, v)),
        "revealed: one of {values:?} is in the transcript of {}",
        followed.run
    );
}

/// Issue 11: real logs have no trust level and no paper scenario; `tvp run` still writes a report, with the
/// AgentLeak models' over-exposure rates.
#[test]
fn run_reports_agentleak_dev_without_trust_levels_with_each_models_rate() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let run = tvp(&["run", &shared("realdata/agentleak/dev"), "--out", out.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let md = std::fs::read_to_string(out.join("report/report.md")).unwrap();
    for model in [
        "openai/gpt-4o",
        "openai/gpt-4o-mini",
        "anthropic/claude-3.5-sonnet",
        "meta-llama/llama-3.3-70b-instruct",
        "mistralai/mistral-large-2512",
    ] {
        let line = md
            .lines()
            .find(|l| l.starts_with(&format!("| AgentLeak-{model} |")))
            .unwrap_or_else(|| panic!("no row for {model} in\n{md}"));
        // runs, over-exposed runs, rate [low, high]
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let (runs, exposed): (u64, u64) = (cells[2].parse().unwrap(), cells[3].parse().unwrap());
        assert!(runs > 150 && exposed > 0 && exposed <= runs, "{line}");
        assert!(cells[4].starts_with(&format!("{:.3} [", exposed as f64 / runs as f64)), "{line}");
    }
    assert!(md.contains("| C2 |") && md.contains("| memory |"), "channels and recipient kinds: {md}");
    assert!(md.contains("need runs with a trust level and a scenario"), "{md}");
    assert!(md.contains("No validation set was given"), "real logs have none, and the report says so");
    let html = std::fs::read_to_string(out.join("report/index.html")).unwrap();
    assert!(html.contains("id=\"f-table\"") && html.contains("id=\"tvp-data\""));
    // Transcripts quote URLs as text; no element loads anything from the network.
    for attribute in ["src=\"http", "href=\"http", "url(http"] {
        assert!(!html.contains(attribute), "the report must not reach the network ({attribute})");
    }
}

#[test]
fn run_reports_a_folder_without_any_exposure() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let run = tvp(&["run", &shared("realdata/autogen02"), "--out", out.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let md = std::fs::read_to_string(out.join("report/report.md")).unwrap();
    assert!(md.contains("Over-exposed runs: 0 (0.0 %)"), "{md}");
    // Nothing says what is secret in these logs: the report says the runs were not checked.
    assert!(md.contains("Runs without any ground truth: 4 of 4"), "{md}");
    let html = std::fs::read_to_string(out.join("report/index.html")).unwrap();
    assert!(html.contains("No run exposed an item outside the MNI"), "{html}");
    // metrics also succeed on the same store, and say what trust metrics need
    let store = out.join("store");
    let run = tvp(&["metrics", "--store", store.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("no run has both a trust level and a scenario"), "{}", run.stdout);
}

/// Issue 12: `tvp run --policy` judges tau-bench's trajectories against the airline policy, and the report's
/// transcripts mask what the policy protects (a passenger's date of birth read from a reservation record).
#[test]
fn run_with_a_policy_reports_its_exposures_and_masks_its_values() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let policy = super::crate_root().join("data/policy/taubench-airline.toml");
    let args =
        ["run", &shared("realdata/taubench"), "--policy", policy.to_str().unwrap(), "--out", out.to_str().unwrap()];
    let run = tvp(&args);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let md = std::fs::read_to_string(out.join("report/report.md")).unwrap();
    assert!(md.contains("| date_of_birth |"), "{md}");
    assert!(md.contains("Labeled with the deployment policy given"), "{md}");
    let html = std::fs::read_to_string(out.join("report/index.html")).unwrap();
    // A passenger of task 10 whose birth date the agent recited; the page holds that transcript masked.
    assert!(html.contains("H9ZU1C") && !html.contains("1977-02-03"), "the date of birth is masked");
}
