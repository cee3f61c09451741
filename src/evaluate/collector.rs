//! The one protocol every domain hands its item results through: a domain pushes each item
//! it concludes (and holds the items it examined without listing them), then the run
//! finishes the control with the domain's gaps.

use std::collections::BTreeSet;

use super::completeness::Held;
use super::{ControlResult, Elided, ItemResult, Keep, Outcome};
use crate::model::control::Control;
use crate::population::Fingerprint;

/// Gathers one control's item results as they are concluded. Every id goes into the
/// population's fingerprint and, on full runs, the completeness index; the results themselves
/// are kept only as `keep` says, so a control over a million accounts need not hold them all.
pub(super) struct Collector<'c, 'h> {
    control: &'c Control,
    keep: Keep,
    kept: Vec<ItemResult>,
    /// Ids of the items not kept (the fingerprint covers them too), end to end in one buffer:
    /// a control over a million accounts would otherwise hold a million small strings.
    dropped: String,
    /// Where each dropped id ends in `dropped`.
    ends: Vec<usize>,
    elided: Elided,
    held: Option<&'h mut Held>,
    /// Items kept whatever their outcome (see [`super::Watch`]).
    watch: BTreeSet<String>,
}

impl<'c, 'h> Collector<'c, 'h> {
    pub fn new(control: &'c Control, keep: Keep, held: Option<&'h mut Held>) -> Self {
        Collector {
            control,
            keep,
            kept: Vec::new(),
            dropped: String::new(),
            ends: Vec::new(),
            elided: Elided::default(),
            held,
            watch: BTreeSet::new(),
        }
    }

    /// Also keeps these items, whatever their outcome.
    pub fn watching(mut self, items: Option<&BTreeSet<String>>) -> Self {
        self.watch = items.cloned().unwrap_or_default();
        self
    }

    /// The control whose items these are.
    pub fn control(&self) -> &'c Control {
        self.control
    }

    /// What the run keeps: a domain may skip the words of an item that will not be kept.
    pub fn keep(&self) -> Keep {
        self.keep
    }

    /// Takes one concluded item (exceptions already applied).
    pub fn push(&mut self, item: ItemResult) {
        // An occurrence is not itself in scope: its parent is, and the control that listed
        // the occurrences says which parents it held (`hold`).
        if let Some(held) = self.held.as_deref_mut().filter(|_| item.parent.is_none()) {
            let tested = item.outcome != Outcome::NotApplicable;
            held.record(
                self.control.population.kind,
                &item.item,
                &self.control.id,
                tested,
            );
        }
        if self.keep.keeps(item.outcome) || self.watch.contains(&item.item) {
            self.kept.push(item);
        } else {
            self.elided.count(&item);
            self.dropped.push_str(&item.item);
            self.ends.push(self.dropped.len());
        }
    }

    /// Records that the control examined `item` though it lists occurrences of it rather than
    /// the item itself (`tested`: some rule applied to it).
    pub fn hold(&mut self, item: &str, tested: bool) {
        if let Some(held) = self.held.as_deref_mut() {
            held.record(self.control.population.kind, item, &self.control.id, tested);
        }
    }

    /// The control's result: the kept items in id order, the fingerprint of all, and `gaps`
    /// (what makes the population incomplete).
    pub fn finish(mut self, gaps: Vec<String>) -> ControlResult {
        let control = self.control;
        let kind = control.population.kind.as_str();
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        let dropped = starts.zip(&self.ends).map(|(a, &b)| &self.dropped[a..b]);
        let ids = self.kept.iter().map(|i| i.item.as_str());
        let population = Fingerprint::of(kind, ids.chain(dropped));
        self.kept.sort_by(|a, b| a.item.cmp(&b.item));
        ControlResult {
            control: control.id.clone(),
            title: control.title.clone(),
            severity: control.severity.as_str().to_string(),
            owner: control.owner.clone(),
            population,
            items: self.kept,
            gaps,
            elided: self.elided,
        }
    }
}
