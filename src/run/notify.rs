//! `itgc notify`: check the period (the same pipeline as `check`, without a packet, so the
//! findings lifecycle is brought up to date), turn the period's findings into subjects, plan what each team's channels have not heard yet, and
//! send it, recording each send in the store as soon as it succeeds.

mod subjects;

use super::{Config, Error, Inputs, Note, Request, Scope, parse_period, pipeline};
use crate::evaluate::Keep;
use crate::notify::{self, Notice, NotifyError, Plan, Senders};
use crate::source::github::api::Waits;
use crate::store::Store;

pub use subjects::subjects;

/// What to notify.
pub struct NotifyRequest {
    pub period: String,
    /// Plan and return what would be sent; send nothing, read no secret.
    pub dry_run: bool,
    /// The wall clock, read by the caller: stamps the ledger rows and the drift record.
    pub now: jiff::Timestamp,
    /// The cap on waiting for rate limits and retries, per channel.
    pub waits: Waits,
    /// Where senders say what they wait for.
    pub notice: Option<Notice>,
}

/// What a notify run planned and what came of it.
pub struct Notified {
    pub period: String,
    pub plan: Plan,
    /// Findings with no owner route: nobody can be told.
    pub unowned: usize,
    /// For each planned message (same order), whether it was sent; `None` in a dry run.
    pub outcomes: Option<Vec<Result<Option<String>, NotifyError>>>,
}

impl Notified {
    /// Messages that could not be sent.
    pub fn failures(&self) -> usize {
        self.outcomes
            .as_ref()
            .map_or(0, |o| o.iter().filter(|r| r.is_err()).count())
    }
}

/// Runs the check, plans and (unless a dry run) sends. A store that cannot record what was
/// sent stops the run (exit 3): sending on would send again next time.
pub fn notify(
    config: &Config,
    inputs: &Inputs,
    request: &NotifyRequest,
    notes: &mut Vec<Note>,
) -> Result<Notified, Error> {
    let period = parse_period(&request.period, &inputs.catalog, config)?.to_string();
    let check = Request {
        scope: Scope::Period {
            period: request.period.clone(),
            packet: None,
        },
        controls: Vec::new(),
        // Passing items too: a finding that is gone resolved only if its item is still tested.
        keep: Keep::Every,
        now: request.now,
    };
    let checked = pipeline(config, inputs, &check, notes)?;
    // Telling owners from a lifecycle this run could not bring up to date would close or
    // reopen issues on stale states: fail closed instead.
    if let Some(Note::FindingsNotRecorded(why)) = notes
        .iter()
        .find(|n| matches!(n, Note::FindingsNotRecorded(_)))
    {
        return Err(Error::Incomplete(format!(
            "the findings of {period} could not be brought up to date ({why}); nothing was sent"
        )));
    }
    let filter = super::findings::Filter {
        period: Some(period.clone()),
        owner: None,
        state: None,
    };
    let findings = super::findings::list(config, &filter)?;
    super::runtime()?.block_on(async {
        let store = Store::open(&config.database_url)
            .await
            .map_err(|e| Error::Usage(format!("store: {e}")))?;
        let outcome = plan_and_send(
            &store,
            inputs,
            &findings,
            &checked.results,
            &period,
            request,
        )
        .await;
        store.close().await;
        outcome
    })
}

async fn plan_and_send(
    store: &Store,
    inputs: &Inputs,
    findings: &[crate::findings::Finding],
    results: &crate::evaluate::Results,
    period: &str,
    request: &NotifyRequest,
) -> Result<Notified, Error> {
    let ledger = store
        .notifications()
        .await
        .map_err(|e| Error::Incomplete(format!("store: {e}")))?;
    let (subjects, unowned) = subjects(findings, results, period, &inputs.catalog);
    let plan = notify::plan(&inputs.catalog, &subjects, &ledger, period, request.now);
    let mut notified = Notified {
        period: period.to_string(),
        plan,
        unowned,
        outcomes: None,
    };
    if !request.dry_run {
        notified.outcomes = Some(send(store, &notified.plan, request).await?);
    }
    Ok(notified)
}

/// Sends every message in order, recording each as it succeeds; a failed message does not
/// stop the others (the next run retries it).
async fn send(
    store: &Store,
    plan: &Plan,
    request: &NotifyRequest,
) -> Result<Vec<Result<Option<String>, NotifyError>>, Error> {
    let mut senders = Senders::new(request.waits, request.notice.clone());
    let mut outcomes = Vec::with_capacity(plan.messages.len());
    for message in &plan.messages {
        let sent = senders.send(message).await;
        if let Ok(reference) = &sent {
            for record in &message.records {
                let mut record = record.clone();
                if reference.is_some() {
                    record.reference = reference.clone();
                }
                store.record_notification(&record).await.map_err(|e| {
                    Error::Incomplete(format!(
                        "store: {e}; sent to {} but not recorded, stopping",
                        message.key
                    ))
                })?;
            }
        }
        outcomes.push(sent);
    }
    Ok(outcomes)
}
