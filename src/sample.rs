//! Audit samples: which items of a control's population an auditor re-tests by hand.
//!
//! Pure: a control's results, its frequency and severity, and a seed in; the sample out. The
//! same inputs always give the same sample, on any machine, so an auditor holding the seed can
//! re-draw it, and a seed fixed by the evidence (a packet's root) cannot be cherry-picked.
//!
//! ## Sample sizes
//!
//! The table auditors commonly use for tests of operating effectiveness of a manual or
//! IT-dependent control, by how often the control operates; the control's `severity` (its
//! risk) picks the size within the range:
//!
//! | frequency (`Frequency`)              | range  | low | medium | high | critical |
//! |--------------------------------------|--------|-----|--------|------|----------|
//! | annual                               | 1      | 1   | 1      | 1    | 1        |
//! | quarterly                            | 2      | 2   | 2      | 2    | 2        |
//! | monthly                              | 2–5    | 2   | 3      | 4    | 5        |
//! | weekly                               | 5–15   | 5   | 8      | 12   | 15       |
//! | daily                                | 20–40  | 20  | 27     | 33   | 40       |
//! | many times a day (`per-event`)       | 25–60  | 25  | 37     | 48   | 60       |
//!
//! `per-event` is the model's only frequency for controls that operate on every item as it
//! happens (every change, every grant, every run): it is the "many times a day" row. A
//! population smaller than the size is taken whole.
//!
//! ## Which items
//!
//! The eligible items are the control's population items the control tested: every item
//! except those `not-applicable` (excluded by the population filter, or no rule applied), in
//! bytewise order of their ids.
//!
//! ## Drawing (`itgc-sample/v1`)
//!
//! 1. Key: `SHA-256("itgc-sample/v1" 0x00 SEED 0x00 CONTROL [0x00 STRATUM])`, where SEED is
//!    the seed text (a packet seed is the lowercase hex of a Merkle root), CONTROL the control
//!    id and STRATUM the stratum's key when stratified. The 32 bytes seed a ChaCha20 stream
//!    (`rand_chacha::ChaCha20Rng::from_seed`), read as little-endian `u64` words.
//! 2. A number below `n`: draw words until one is below `2^64 - (2^64 mod n)`; the answer is
//!    that word `mod n` (rejection sampling, so every index is equally likely).
//! 3. Partial Fisher–Yates over the sorted ids: for `i` in `0..k`, swap position `i` with
//!    position `i + below(len - i)`. The first `k` ids are the sample, reported sorted.
//!
//! ## Strata
//!
//! Stratified by system or owner, each stratum (items without one form the stratum `(none)`)
//! gets a share of the size proportional to its eligible items (largest remainder, ties to the
//! earlier key), at least one item each, and is drawn with its own key.

use std::collections::BTreeMap;

use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::evaluate::{ControlResult, ItemResult, Outcome};
use crate::model::control::{Frequency, Severity};
use crate::population::Fingerprint;

/// The format identifier every sample carries.
pub const FORMAT: &str = "itgc-sample/v1";

/// The stratum of items without a system or owner.
pub const NO_STRATUM: &str = "(none)";

/// How to split the population before drawing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Stratify {
    System,
    Owner,
}

/// Where the seed came from: an auditor wants to know it was not chosen after the fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SeedSource {
    /// The Merkle root over a packet's population and results entries.
    PacketResults,
    /// The control's population fingerprint (no packet was given).
    PopulationFingerprint,
    /// Given on the command line.
    Given,
}

/// The seed text and its origin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seed {
    pub source: SeedSource,
    pub value: String,
}

/// A sample size range and the size the severity picked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Size {
    pub min: usize,
    pub max: usize,
    /// From the table, before capping at the eligible count.
    pub planned: usize,
}

/// The table above, as code.
pub fn size(frequency: Frequency, severity: Severity) -> Size {
    let row: [usize; 4] = match frequency {
        Frequency::Annual => [1, 1, 1, 1],
        Frequency::Quarterly => [2, 2, 2, 2],
        Frequency::Monthly => [2, 3, 4, 5],
        Frequency::Weekly => [5, 8, 12, 15],
        Frequency::Daily => [20, 27, 33, 40],
        Frequency::PerEvent => [25, 37, 48, 60],
    };
    let column = match severity {
        Severity::Low => 0,
        Severity::Medium => 1,
        Severity::High => 2,
        Severity::Critical => 3,
    };
    Size {
        min: row[0],
        max: row[3],
        planned: row[column],
    }
}

/// One drawn item, with what the report said about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SampledItem {
    pub item: String,
    pub label: String,
    pub outcome: Outcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    /// The item an occurrence belongs to (a run's job), from the result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
}

/// One stratum's share.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stratum {
    pub key: String,
    pub eligible: usize,
    /// Ordered by item id.
    pub items: Vec<SampledItem>,
}

/// A drawn sample: everything needed to re-draw it and to see it was drawn fairly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sample {
    pub format: String,
    pub control: String,
    pub period: String,
    pub frequency: Frequency,
    pub severity: Severity,
    pub size: Size,
    pub seed: Seed,
    pub population: Fingerprint,
    /// Population items the control tested (not `not-applicable`).
    pub eligible: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stratify: Option<Stratify>,
    /// One stratum (key `all`) when not stratified; ordered by key.
    pub strata: Vec<Stratum>,
}

impl Sample {
    /// Every drawn item, stratum by stratum.
    pub fn items(&self) -> impl Iterator<Item = &SampledItem> {
        self.strata.iter().flat_map(|s| &s.items)
    }
}

/// What to draw from.
pub struct Request<'a> {
    pub result: &'a ControlResult,
    pub period: &'a str,
    pub frequency: Frequency,
    pub severity: Severity,
    pub seed: Seed,
    pub stratify: Option<Stratify>,
}

/// Draws the sample.
pub fn draw(request: Request<'_>) -> Sample {
    let result = request.result;
    let size = size(request.frequency, request.severity);
    let mut eligible: Vec<&ItemResult> = result
        .items
        .iter()
        .filter(|i| i.outcome != Outcome::NotApplicable)
        .collect();
    eligible.sort_by(|a, b| a.item.cmp(&b.item));
    let groups = group(&eligible, request.stratify);
    let shares = allocate(
        size.planned,
        &groups.iter().map(|(_, g)| g.len()).collect::<Vec<_>>(),
    );
    let strata = groups
        .into_iter()
        .zip(shares)
        .map(|((key, items), share)| {
            let stratum = request.stratify.map(|_| key.as_str());
            let key_bytes = key_of(&request.seed.value, &result.control, stratum);
            Stratum {
                eligible: items.len(),
                items: pick(&items, share, key_bytes),
                key,
            }
        })
        .collect();
    Sample {
        format: FORMAT.to_string(),
        control: result.control.clone(),
        period: request.period.to_string(),
        frequency: request.frequency,
        severity: request.severity,
        size,
        seed: request.seed,
        population: result.population.clone(),
        eligible: eligible.len(),
        stratify: request.stratify,
        strata,
    }
}

/// The eligible items by stratum key, keys in bytewise order; one group `all` unstratified.
fn group<'a>(
    items: &[&'a ItemResult],
    stratify: Option<Stratify>,
) -> Vec<(String, Vec<&'a ItemResult>)> {
    let Some(by) = stratify else {
        return vec![("all".to_string(), items.to_vec())];
    };
    let mut groups: BTreeMap<String, Vec<&ItemResult>> = BTreeMap::new();
    for item in items {
        let key = match by {
            Stratify::System => item.system.as_deref(),
            Stratify::Owner => item.owner.as_deref(),
        };
        groups
            .entry(key.unwrap_or(NO_STRATUM).to_string())
            .or_default()
            .push(item);
    }
    groups.into_iter().collect()
}

/// Splits `total` over groups of these sizes: proportional, largest remainder (ties to the
/// earlier group), at least one per non-empty group, never more than a group holds.
pub fn allocate(total: usize, sizes: &[usize]) -> Vec<usize> {
    let all: usize = sizes.iter().sum();
    if all <= total {
        return sizes.to_vec();
    }
    let mut shares: Vec<usize> = sizes.iter().map(|s| total * s / all).collect();
    let mut order: Vec<usize> = (0..sizes.len()).collect();
    // Largest remainder first; the stable sort keeps ties in key order.
    order.sort_by_key(|&i| std::cmp::Reverse(total * sizes[i] % all));
    let mut left = total - shares.iter().sum::<usize>();
    for &i in order.iter().cycle().take(sizes.len() * 2) {
        if left == 0 {
            break;
        }
        if shares[i] < sizes[i] {
            shares[i] += 1;
            left -= 1;
        }
    }
    for (share, size) in shares.iter_mut().zip(sizes) {
        if *share == 0 && *size > 0 {
            *share = 1;
        }
    }
    shares
}

/// The ChaCha20 key of one draw.
fn key_of(seed: &str, control: &str, stratum: Option<&str>) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(FORMAT.as_bytes());
    hasher.update([0]);
    hasher.update(seed.as_bytes());
    hasher.update([0]);
    hasher.update(control.as_bytes());
    if let Some(stratum) = stratum {
        hasher.update([0]);
        hasher.update(stratum.as_bytes());
    }
    hasher.finalize().into()
}

/// `k` of the sorted items by partial Fisher–Yates, reported in id order.
fn pick(items: &[&ItemResult], k: usize, key: [u8; 32]) -> Vec<SampledItem> {
    let mut rng = ChaCha20Rng::from_seed(key);
    let mut order: Vec<&ItemResult> = items.to_vec();
    let k = k.min(order.len());
    for i in 0..k {
        let j = i + below(&mut rng, (order.len() - i) as u64) as usize;
        order.swap(i, j);
    }
    let mut chosen: Vec<SampledItem> = order[..k]
        .iter()
        .map(|i| SampledItem {
            item: i.item.clone(),
            label: i.label.clone(),
            outcome: i.outcome,
            owner: i.owner.clone(),
            system: i.system.clone(),
            parent: i.parent.clone(),
        })
        .collect();
    chosen.sort_by(|a, b| a.item.cmp(&b.item));
    chosen
}

/// A uniform number in `0..n` (n ≥ 1) by rejection sampling.
fn below(rng: &mut ChaCha20Rng, n: u64) -> u64 {
    let span = 1u128 << 64;
    let limit = span - span % u128::from(n);
    loop {
        let word = rng.next_u64();
        if u128::from(word) < limit {
            return word % n;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(n: usize, system: &str, outcome: Outcome) -> ItemResult {
        ItemResult {
            item: format!("repo@{n:04}"),
            label: format!("change {n}"),
            owner: Some(format!("team-{}", n % 3)),
            system: Some(system.to_string()),
            parent: None,
            outcome,
            reasons: Vec::new(),
            exception: None,
            evidence: Vec::new(),
        }
    }

    fn result(items: Vec<ItemResult>) -> ControlResult {
        ControlResult {
            control: "CM-01".into(),
            title: "t".into(),
            severity: "high".into(),
            owner: "o".into(),
            population: Fingerprint::of("changes", items.iter().map(|i| i.item.as_str())),
            items,
            gaps: Vec::new(),
            elided: Default::default(),
        }
    }

    fn request<'a>(
        result: &'a ControlResult,
        seed: &str,
        stratify: Option<Stratify>,
    ) -> Request<'a> {
        Request {
            result,
            period: "2026-Q3",
            frequency: Frequency::PerEvent,
            severity: Severity::High,
            seed: Seed {
                source: SeedSource::Given,
                value: seed.into(),
            },
            stratify,
        }
    }

    fn ids(sample: &Sample) -> Vec<String> {
        sample.items().map(|i| i.item.clone()).collect()
    }

    fn population(n: usize) -> ControlResult {
        let systems = ["payments", "ledger", "web"];
        result(
            (0..n)
                .map(|i| item(i, systems[i % 3], Outcome::Pass))
                .collect(),
        )
    }

    #[test]
    fn the_table_is_the_documented_one() {
        use Frequency::*;
        use Severity::*;
        assert_eq!(size(Annual, Critical).planned, 1);
        assert_eq!(size(Quarterly, Low).planned, 2);
        assert_eq!(
            (size(Monthly, Low).planned, size(Monthly, Critical).planned),
            (2, 5)
        );
        assert_eq!(
            (size(Weekly, Low).planned, size(Weekly, Critical).planned),
            (5, 15)
        );
        assert_eq!(
            (size(Daily, Low).planned, size(Daily, Critical).planned),
            (20, 40)
        );
        let per_event = size(PerEvent, Medium);
        assert_eq!(
            (per_event.min, per_event.max, per_event.planned),
            (25, 60, 37)
        );
        for f in [Annual, Quarterly, Monthly, Weekly, Daily, PerEvent] {
            let sizes: Vec<usize> = [Low, Medium, High, Critical]
                .iter()
                .map(|s| size(f, *s).planned)
                .collect();
            assert!(sizes.windows(2).all(|w| w[0] <= w[1]), "{f:?}: {sizes:?}");
            assert_eq!(sizes[0], size(f, Low).min);
            assert_eq!(sizes[3], size(f, Low).max);
        }
    }

    #[test]
    fn the_same_seed_draws_the_same_sample_and_another_seed_another() {
        let pop = population(500);
        let a = draw(request(&pop, "seed-a", None));
        let again = draw(request(&pop, "seed-a", None));
        let b = draw(request(&pop, "seed-b", None));
        assert_eq!(a, again);
        assert_eq!(ids(&a).len(), 48, "per-event, high");
        assert_ne!(ids(&a), ids(&b));
        let mut sorted = ids(&a);
        sorted.dedup();
        assert_eq!(sorted.len(), 48, "no item twice");
    }

    #[test]
    fn the_draw_does_not_depend_on_item_order() {
        let pop = population(200);
        let mut reversed = pop.clone();
        reversed.items.reverse();
        assert_eq!(
            ids(&draw(request(&pop, "s", None))),
            ids(&draw(request(&reversed, "s", None)))
        );
    }

    #[test]
    fn the_draw_is_pinned() {
        // A change to the algorithm would make old samples impossible to re-draw: it must be
        // a new format, not a silent change of this one.
        let pop = population(100);
        let got = ids(&draw(Request {
            frequency: Frequency::Monthly,
            ..request(&pop, "pinned", None)
        }));
        assert_eq!(got, ["repo@0052", "repo@0067", "repo@0074", "repo@0094"]);
    }

    #[test]
    fn not_applicable_items_are_not_eligible_and_small_populations_are_taken_whole() {
        let mut items: Vec<ItemResult> = (0..10).map(|i| item(i, "s", Outcome::Pass)).collect();
        items.push(item(10, "s", Outcome::NotApplicable));
        let sample = draw(request(&result(items), "s", None));
        assert_eq!(sample.eligible, 10);
        assert_eq!(ids(&sample).len(), 10);
        assert!(!ids(&sample).contains(&"repo@0010".to_string()));
    }

    #[test]
    fn strata_share_the_size_in_proportion() {
        let systems = ["a", "a", "a", "a", "a", "a", "b", "b", "b", "c"];
        let items: Vec<ItemResult> = (0..1000)
            .map(|i| item(i, systems[i % 10], Outcome::Deviation))
            .collect();
        let sample = draw(request(&result(items), "s", Some(Stratify::System)));
        let shares: Vec<(String, usize)> = sample
            .strata
            .iter()
            .map(|s| (s.key.clone(), s.items.len()))
            .collect();
        let want = [("a", 29), ("b", 14), ("c", 5)];
        assert_eq!(
            shares,
            want.map(|(k, n)| (k.to_string(), n)).to_vec(),
            "48 split 60/30/10"
        );
        for stratum in &sample.strata {
            assert!(
                stratum
                    .items
                    .iter()
                    .all(|i| i.system.as_deref() == Some(&stratum.key))
            );
        }
    }

    #[test]
    fn allocation_gives_every_stratum_one_and_never_more_than_it_has() {
        assert_eq!(
            allocate(5, &[100, 1, 1]),
            [5, 1, 1],
            "the minimum may exceed the size"
        );
        assert_eq!(allocate(10, &[3, 2]), [3, 2]);
        assert_eq!(allocate(2, &[1, 1, 1]), [1, 1, 1]);
        assert_eq!(allocate(4, &[2, 2, 2]), [2, 1, 1]);
        assert_eq!(allocate(3, &[]), Vec::<usize>::new());
    }

    #[test]
    fn owner_strata_put_unowned_items_together() {
        let mut items: Vec<ItemResult> = (0..6).map(|i| item(i, "s", Outcome::Pass)).collect();
        items[0].owner = None;
        let sample = draw(request(&result(items), "s", Some(Stratify::Owner)));
        assert_eq!(sample.strata[0].key, NO_STRATUM);
    }
}
