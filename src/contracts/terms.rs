//! The contract term engine: [`schedule`] turns a contract's term rules and what has happened
//! so far into its current term, notice deadline, next renewal, the earliest exit still open and
//! the final expiry. Pure: no clock, no database.
//!
//! Date rules, decided here and only here:
//! - **Months are counted from the contract's start, never chained.** Term *k* (0 is the initial
//!   term) starts `initial + (k − 1) × renewal` months after the start date. Chaining would drift:
//!   31 January + 1 month = 28 February, + 1 month = 28 March, where counting from the start
//!   gives 31 March.
//! - **Month ends clamp** ([`add_months`]): a day the target month lacks becomes that month's last
//!   day. 31 January + 1 month = 28 February (29 in a leap year); 29 February 2028 + 12 months =
//!   28 February 2029; 31 March − 1 month = 28 or 29 February.
//! - **A term ends the day before the next one starts**, so terms tile without gaps or overlaps:
//!   a 12-month term from 1 January 2027 ends on 31 December 2027; the end date is inclusive.
//! - **A term's notice deadline is its end minus the notice period** ([`minus_period`]), with the
//!   same clamping; notice given on the deadline is in time.
//! - **Automatic (tacit) renewal**: each term renews unless notice was given on or before its
//!   deadline. Notice given after a deadline takes effect at the first later term end whose
//!   deadline it meets, so a notice period longer than a renewal term moves the exit several
//!   terms out; [`Schedule::next_exit`] says where it is today.
//! - **Explicit renewal**: each term ends unless a renewal was recorded; an option to renew is
//!   exercised by the term's notice deadline.
//! - No contract ever renews more than `max_renewals` times.

use chrono::{Datelike, Days, Months, NaiveDate};

/// A length of time measured in calendar months or in days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// Whole calendar months (month ends clamp).
    Months(u32),
    /// Calendar days.
    Days(u32),
}

/// How a contract renews at the end of a term.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Renewal {
    /// It does not: it ends with its initial term.
    None,
    /// It renews by itself for `term_months` unless notice is given (tacit renewal).
    Automatic {
        /// Length of each renewal term.
        term_months: u32,
        /// Most renewals; `None` for no limit.
        max_renewals: Option<u32>,
    },
    /// It renews for `term_months` only when a renewal is recorded.
    Explicit {
        /// Length of each renewal term.
        term_months: u32,
        /// Most renewals; `None` for no limit.
        max_renewals: Option<u32>,
    },
}

/// The term rules of a contract, as signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TermRules {
    /// First day of the contract.
    pub start: NaiveDate,
    /// Length of the initial term, at least one month.
    pub initial_months: u32,
    /// How it renews.
    pub renewal: Renewal,
    /// Notice needed to stop a renewal (or to exercise an explicit renewal), before a term ends.
    pub notice: Period,
}

/// What has happened to a contract so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TermEvents {
    /// Explicit renewals recorded (ignored for automatic renewal).
    pub renewals_recorded: u32,
    /// The day notice of non-renewal was given (automatic renewal).
    pub notice_given_on: Option<NaiveDate>,
    /// The day the contract was terminated early, if it was; it ends that day.
    pub terminated_on: Option<NaiveDate>,
}

/// One term: its number (0 is the initial term), first and last day, and notice deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Term {
    /// 0 for the initial term, k for the k-th renewal.
    pub index: u32,
    /// First day.
    pub start: NaiveDate,
    /// Last day (inclusive).
    pub end: NaiveDate,
    /// The last day notice can be given to leave at this term's end.
    pub notice_deadline: NaiveDate,
}

/// Where a contract stands on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Before its start date.
    NotStarted,
    /// Within a term.
    Running,
    /// Past its last day.
    Ended,
}

/// The earliest end of the contract still open to someone acting today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exit {
    /// The term whose end it is.
    pub term: Term,
    /// True when that end happens without any action (the last term, or no renewal recorded).
    pub automatic: bool,
}

/// Everything [`schedule`] computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// Where the contract stands on the day asked about.
    pub standing: Standing,
    /// The term that day falls in (or the first term, before the start; the last, after the end).
    pub current: Term,
    /// The day the next term starts, if the contract continues past the current term as things
    /// stand (automatic renewal not stopped, or an explicit renewal recorded).
    pub next_renewal: Option<NaiveDate>,
    /// The earliest end still reachable: for automatic renewal, the first term end whose notice
    /// deadline has not passed (or the end already fixed by notice, the maximum or termination).
    pub next_exit: Option<Exit>,
    /// The last day as things stand; `None` while automatic renewal runs without limit or notice.
    pub expires_on: Option<NaiveDate>,
    /// The latest the contract can ever run to (all renewals taken); `None` without a limit.
    pub final_expiry: Option<NaiveDate>,
}

/// Why term rules are refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TermError {
    /// A term of zero months.
    #[error("terms must be at least one month long")]
    EmptyTerm,
    /// Dates beyond what the calendar arithmetic supports.
    #[error("the contract's dates run past the supported calendar")]
    OutOfRange,
}

/// `date` plus `months` calendar months, clamping to the month's last day.
pub fn add_months(date: NaiveDate, months: u32) -> Option<NaiveDate> {
    // chrono's month arithmetic clamps to the last day of the month, which is our rule.
    date.checked_add_months(Months::new(months))
}

/// `date` minus a period, clamping month ends.
pub fn minus_period(date: NaiveDate, period: Period) -> Option<NaiveDate> {
    match period {
        Period::Months(n) => date.checked_sub_months(Months::new(n)),
        Period::Days(n) => date.checked_sub_days(Days::new(u64::from(n))),
    }
}

fn renewal_months(renewal: Renewal) -> u32 {
    match renewal {
        Renewal::None => 0,
        Renewal::Automatic { term_months, .. } | Renewal::Explicit { term_months, .. } => {
            term_months
        }
    }
}

/// The most terms the rules allow (1 + maximum renewals); `None` without a limit.
pub fn max_terms(renewal: Renewal) -> Option<u32> {
    match renewal {
        Renewal::None => Some(1),
        Renewal::Automatic { max_renewals, .. } | Renewal::Explicit { max_renewals, .. } => {
            max_renewals.map(|m| m.saturating_add(1))
        }
    }
}

/// The first day of term `index`, counted from the start date.
fn term_start(rules: &TermRules, index: u32) -> Result<NaiveDate, TermError> {
    if index == 0 {
        return Ok(rules.start);
    }
    let step = renewal_months(rules.renewal).max(1);
    let months = (index - 1)
        .checked_mul(step)
        .and_then(|m| m.checked_add(rules.initial_months))
        .ok_or(TermError::OutOfRange)?;
    add_months(rules.start, months).ok_or(TermError::OutOfRange)
}

/// Term `index` of a contract under `rules`, whether or not it will happen.
pub fn term(rules: &TermRules, index: u32) -> Result<Term, TermError> {
    check(rules)?;
    let start = term_start(rules, index)?;
    let next = term_start(rules, index.checked_add(1).ok_or(TermError::OutOfRange)?)?;
    let end = next.pred_opt().ok_or(TermError::OutOfRange)?;
    let notice_deadline = minus_period(end, rules.notice).ok_or(TermError::OutOfRange)?;
    Ok(Term {
        index,
        start,
        end,
        notice_deadline,
    })
}

fn check(rules: &TermRules) -> Result<(), TermError> {
    let renewal_ok = match rules.renewal {
        Renewal::None => true,
        Renewal::Automatic { term_months, .. } | Renewal::Explicit { term_months, .. } => {
            term_months > 0
        }
    };
    if rules.initial_months == 0 || !renewal_ok {
        return Err(TermError::EmptyTerm);
    }
    Ok(())
}

/// The index of the term containing `day` (clamped to the first term before the start).
fn index_on(rules: &TermRules, day: NaiveDate) -> Result<u32, TermError> {
    let first = term(rules, 0)?;
    if day <= first.end {
        return Ok(0);
    }
    let step = renewal_months(rules.renewal).max(1);
    // Estimate from the months elapsed, then settle exactly (month lengths vary).
    let elapsed = months_between(first.end, day);
    let mut index = (elapsed / step).max(1);
    while index > 1 && term_start(rules, index)? > day {
        index -= 1;
    }
    while term(rules, index)?.end < day {
        index = index.checked_add(1).ok_or(TermError::OutOfRange)?;
    }
    Ok(index)
}

fn months_between(from: NaiveDate, to: NaiveDate) -> u32 {
    let months = (to.year() - from.year()) * 12 + to.month() as i32 - from.month() as i32;
    u32::try_from(months.max(0)).unwrap_or(0)
}

/// The index of the last term as things stand, if it is known.
fn last_index(rules: &TermRules, events: &TermEvents) -> Result<Option<u32>, TermError> {
    let cap = max_terms(rules.renewal).map(|n| n - 1);
    let by_rules = match rules.renewal {
        Renewal::None => Some(0),
        Renewal::Explicit { .. } => Some(cap.map_or(events.renewals_recorded, |c| {
            events.renewals_recorded.min(c)
        })),
        Renewal::Automatic { .. } => match events.notice_given_on {
            // The first term, counting from the one notice was given in, whose deadline it meets.
            Some(given) => {
                let mut index = index_on(rules, given)?;
                while term(rules, index)?.notice_deadline < given {
                    index = index.checked_add(1).ok_or(TermError::OutOfRange)?;
                }
                Some(cap.map_or(index, |c| index.min(c)))
            }
            None => cap,
        },
    };
    match events.terminated_on {
        Some(day) => {
            let index = index_on(rules, day)?;
            Ok(Some(by_rules.map_or(index, |last| last.min(index))))
        }
        None => Ok(by_rules),
    }
}

/// Where a contract stands on `day`: its current term, notice deadline, next renewal, earliest
/// exit and expiry. See the module documentation for every date rule.
pub fn schedule(
    rules: &TermRules,
    events: &TermEvents,
    day: NaiveDate,
) -> Result<Schedule, TermError> {
    check(rules)?;
    let last = last_index(rules, events)?;
    let last_term = last.map(|i| term(rules, i)).transpose()?;
    // The contract's actual last day: a termination cuts its last term short.
    let expires_on = match (last_term, events.terminated_on) {
        (Some(t), Some(terminated)) => Some(t.end.min(terminated)),
        (Some(t), None) => Some(t.end),
        (None, _) => None,
    };
    let final_expiry = match (
        max_terms(rules.renewal),
        expires_on,
        events.terminated_on,
        events.notice_given_on,
    ) {
        (_, Some(ends), Some(_), _) | (_, Some(ends), _, Some(_)) => Some(ends),
        (Some(n), _, _, _) => Some(term(rules, n - 1)?.end),
        (None, _, _, _) => None,
    };

    let standing = if day < rules.start {
        Standing::NotStarted
    } else if expires_on.is_some_and(|end| day > end) {
        Standing::Ended
    } else {
        Standing::Running
    };
    let current_index = match (standing, last) {
        (Standing::NotStarted, _) => 0,
        (Standing::Ended, Some(last)) => last,
        _ => index_on(rules, day)?,
    };
    let current = term(rules, current_index)?;
    let is_last = last.is_some_and(|l| current_index >= l);
    let next_renewal = (!is_last && standing != Standing::Ended)
        .then(|| term_start(rules, current_index + 1))
        .transpose()?;

    let next_exit = match standing {
        Standing::Ended => None,
        _ => match (rules.renewal, last_term) {
            // The end is already fixed (no renewal, notice given, maximum reached, terminated).
            (_, Some(t))
                if events.terminated_on.is_some()
                    || events.notice_given_on.is_some()
                    || is_last =>
            {
                Some(Exit {
                    term: t,
                    automatic: true,
                })
            }
            (Renewal::Explicit { .. }, Some(t)) | (Renewal::None, Some(t)) => Some(Exit {
                term: t,
                automatic: true,
            }),
            (Renewal::Automatic { .. }, _) => {
                // The first term from today whose notice deadline is still ahead, within the cap.
                let mut index = current_index;
                loop {
                    let candidate = term(rules, index)?;
                    if last.is_some_and(|l| index >= l) {
                        break Some(Exit {
                            term: candidate,
                            automatic: true,
                        });
                    }
                    if candidate.notice_deadline >= day {
                        break Some(Exit {
                            term: candidate,
                            automatic: false,
                        });
                    }
                    index = index.checked_add(1).ok_or(TermError::OutOfRange)?;
                }
            }
            (_, None) => None,
        },
    };

    Ok(Schedule {
        standing,
        current,
        next_renewal,
        next_exit,
        expires_on,
        final_expiry,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("valid test date")
    }

    fn rules(start: &str, initial: u32, renewal: Renewal, notice: Period) -> TermRules {
        TermRules {
            start: d(start),
            initial_months: initial,
            renewal,
            notice,
        }
    }

    fn automatic(term_months: u32, max_renewals: Option<u32>) -> Renewal {
        Renewal::Automatic {
            term_months,
            max_renewals,
        }
    }

    #[test]
    fn month_ends_clamp_and_never_drift() {
        assert_eq!(add_months(d("2027-01-31"), 1), Some(d("2027-02-28")));
        assert_eq!(add_months(d("2028-01-31"), 1), Some(d("2028-02-29")));
        assert_eq!(add_months(d("2028-02-29"), 12), Some(d("2029-02-28")));
        assert_eq!(
            minus_period(d("2027-03-31"), Period::Months(1)),
            Some(d("2027-02-28"))
        );
        // Monthly terms from 31 January: counted from the start, the third term starts 31 March.
        let monthly = rules("2027-01-31", 1, automatic(1, None), Period::Days(0));
        let starts: Vec<NaiveDate> = (0..4)
            .map(|k| term(&monthly, k).expect("term").start)
            .collect();
        assert_eq!(
            starts,
            [
                d("2027-01-31"),
                d("2027-02-28"),
                d("2027-03-31"),
                d("2027-04-30")
            ]
        );
        assert_eq!(term(&monthly, 0).expect("term").end, d("2027-02-27"));
    }

    #[test]
    fn a_yearly_contract_with_three_months_notice() {
        let yearly = rules("2027-01-01", 12, automatic(12, Some(2)), Period::Months(3));
        let first = term(&yearly, 0).expect("term");
        assert_eq!(
            (first.start, first.end, first.notice_deadline),
            (d("2027-01-01"), d("2027-12-31"), d("2027-09-30"))
        );
        let today = schedule(&yearly, &TermEvents::default(), d("2027-06-15")).expect("valid");
        assert_eq!(today.standing, Standing::Running);
        assert_eq!(today.current.index, 0);
        assert_eq!(today.next_renewal, Some(d("2028-01-01")));
        assert_eq!(
            today
                .next_exit
                .map(|e| (e.term.end, e.term.notice_deadline, e.automatic)),
            Some((d("2027-12-31"), d("2027-09-30"), false))
        );
        assert_eq!(today.expires_on, Some(d("2029-12-31")));
        assert_eq!(today.final_expiry, Some(d("2029-12-31")));
        // After the first deadline the earliest exit moves to the next term's end.
        let later = schedule(&yearly, &TermEvents::default(), d("2027-10-01")).expect("valid");
        assert_eq!(later.next_exit.map(|e| e.term.end), Some(d("2028-12-31")));
        // In the last allowed term the contract simply ends.
        let last = schedule(&yearly, &TermEvents::default(), d("2029-02-01")).expect("valid");
        assert_eq!(last.current.index, 2);
        assert_eq!(last.next_renewal, None);
        assert_eq!(
            last.next_exit.map(|e| (e.term.end, e.automatic)),
            Some((d("2029-12-31"), true))
        );
        assert_eq!(
            schedule(&yearly, &TermEvents::default(), d("2030-01-01"))
                .expect("valid")
                .standing,
            Standing::Ended
        );
    }

    #[test]
    fn notice_longer_than_a_renewal_term() {
        // Monthly tacit renewal with three months' notice: on 15 May the earliest exit is the
        // end of August (deadline 31 May), not the end of May.
        let monthly = rules("2027-01-01", 12, automatic(1, None), Period::Months(3));
        let may = schedule(&monthly, &TermEvents::default(), d("2028-05-15")).expect("valid");
        assert_eq!(may.current.start, d("2028-05-01"));
        let exit = may.next_exit.expect("an exit");
        assert_eq!(
            (exit.term.end, exit.term.notice_deadline),
            (d("2028-08-31"), d("2028-05-31"))
        );
        assert_eq!(may.expires_on, None);
        // Notice given on 1 June misses August's deadline: the contract ends 30 September.
        let events = TermEvents {
            notice_given_on: Some(d("2028-06-01")),
            ..TermEvents::default()
        };
        let noticed = schedule(&monthly, &events, d("2028-06-02")).expect("valid");
        assert_eq!(noticed.expires_on, Some(d("2028-09-30")));
        assert_eq!(noticed.final_expiry, Some(d("2028-09-30")));
        assert_eq!(noticed.next_renewal, Some(d("2028-07-01")));
        let ended = schedule(&monthly, &events, d("2028-10-01")).expect("valid");
        assert_eq!(
            (ended.standing, ended.current.end),
            (Standing::Ended, d("2028-09-30"))
        );
    }

    #[test]
    fn explicit_renewals_and_termination() {
        let options = rules(
            "2027-04-01",
            24,
            Renewal::Explicit {
                term_months: 12,
                max_renewals: Some(2),
            },
            Period::Days(60),
        );
        let plain = schedule(&options, &TermEvents::default(), d("2028-01-10")).expect("valid");
        assert_eq!(plain.expires_on, Some(d("2029-03-31")));
        assert_eq!(plain.final_expiry, Some(d("2031-03-31")));
        assert_eq!(plain.next_renewal, None);
        assert_eq!(plain.current.notice_deadline, d("2029-01-30"));
        let renewed = TermEvents {
            renewals_recorded: 1,
            ..TermEvents::default()
        };
        let once = schedule(&options, &renewed, d("2029-02-01")).expect("valid");
        assert_eq!(once.next_renewal, Some(d("2029-04-01")));
        assert_eq!(once.expires_on, Some(d("2030-03-31")));
        let terminated = TermEvents {
            renewals_recorded: 1,
            terminated_on: Some(d("2029-06-15")),
            ..TermEvents::default()
        };
        let cut = schedule(&options, &terminated, d("2029-07-01")).expect("valid");
        assert_eq!(
            (cut.standing, cut.expires_on),
            (Standing::Ended, Some(d("2029-06-15")))
        );
        let none = rules("2027-01-01", 6, Renewal::None, Period::Days(30));
        let fixed = schedule(&none, &TermEvents::default(), d("2026-12-01")).expect("valid");
        assert_eq!(
            (fixed.standing, fixed.expires_on, fixed.next_renewal),
            (Standing::NotStarted, Some(d("2027-06-30")), None)
        );
    }

    #[test]
    fn empty_terms_are_refused() {
        assert_eq!(
            term(&rules("2027-01-01", 0, Renewal::None, Period::Days(0)), 0),
            Err(TermError::EmptyTerm)
        );
        assert_eq!(
            term(
                &rules("2027-01-01", 12, automatic(0, None), Period::Days(0)),
                0
            ),
            Err(TermError::EmptyTerm)
        );
    }

    fn any_rules() -> impl Strategy<Value = TermRules> {
        (
            0i64..3_650,
            1u32..=36,
            prop_oneof![
                Just(Renewal::None),
                (1u32..=24, proptest::option::of(0u32..6)).prop_map(|(t, m)| automatic(t, m)),
                (1u32..=24, proptest::option::of(0u32..6)).prop_map(|(t, m)| Renewal::Explicit {
                    term_months: t,
                    max_renewals: m
                }),
            ],
            prop_oneof![
                (0u32..=18).prop_map(Period::Months),
                (0u32..=400).prop_map(Period::Days)
            ],
        )
            .prop_map(|(offset, initial, renewal, notice)| TermRules {
                start: d("2024-01-01") + chrono::Duration::days(offset),
                initial_months: initial,
                renewal,
                notice,
            })
    }

    proptest! {
        #[test]
        fn terms_tile_and_deadlines_are_end_minus_notice(rules in any_rules(), count in 1u32..30) {
            let mut previous: Option<Term> = None;
            for index in 0..count {
                let t = term(&rules, index).expect("valid rules");
                prop_assert!(t.start <= t.end);
                prop_assert_eq!(Some(t.notice_deadline), minus_period(t.end, rules.notice));
                match previous {
                    Some(p) => prop_assert_eq!(p.end.succ_opt(), Some(t.start), "no gap, no overlap"),
                    None => prop_assert_eq!(t.start, rules.start),
                }
                previous = Some(t);
            }
        }

        #[test]
        fn renewals_never_exceed_the_maximum(rules in any_rules(), days in 0i64..8_000, recorded in 0u32..10, notice_after in proptest::option::of(0i64..8_000)) {
            let day = rules.start + chrono::Duration::days(days);
            let events = TermEvents {
                renewals_recorded: recorded,
                notice_given_on: notice_after.map(|n| rules.start + chrono::Duration::days(n)),
                terminated_on: None,
            };
            let s = schedule(&rules, &events, day).expect("valid rules");
            if let Some(max) = max_terms(rules.renewal) {
                prop_assert!(s.current.index < max, "term {} of at most {}", s.current.index, max);
                let last = term(&rules, max - 1).expect("valid");
                prop_assert!(s.expires_on.is_some_and(|e| e <= last.end));
            }
            if let Some(exit) = s.next_exit {
                prop_assert!(exit.term.index >= s.current.index);
                // An exit that needs notice always has its deadline today or later.
                prop_assert!(exit.automatic || exit.term.notice_deadline >= day);
            }
            if s.standing == Standing::Running {
                prop_assert!(s.current.start <= day && day <= s.current.end);
            }
        }

        #[test]
        fn notice_fixes_the_first_end_whose_deadline_it_meets(
            rules in (any_rules(), 1u32..=24).prop_map(|(r, t)| TermRules { renewal: automatic(t, None), ..r }),
            given in 0i64..4_000,
        ) {
            let given = rules.start + chrono::Duration::days(given);
            let events = TermEvents { notice_given_on: Some(given), ..TermEvents::default() };
            let s = schedule(&rules, &events, given).expect("valid rules");
            let ends = s.expires_on.expect("notice fixes the end");
            let last = (0..).map(|k| term(&rules, k).expect("valid")).find(|t| t.end == ends).expect("the end is a term end");
            prop_assert!(last.notice_deadline >= given);
            if last.index > 0 {
                let before = term(&rules, last.index - 1).expect("valid");
                prop_assert!(before.notice_deadline < given || before.end < given);
            }
        }
    }
}
