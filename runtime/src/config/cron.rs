//! Cron triggers (`[triggers] crons`): when a Worker's `scheduled` handler
//! is due.
//!
//! Expressions follow Cloudflare's syntax: five fields, UTC, Quartz-style
//! weekdays (1 is Sunday; `L`, `W` and `#` allowed), parsed by `croner` in
//! its Quartz weekday mode.

use std::str::FromStr;

use chrono::{SubsecRound, Utc};
use croner::Cron;
use croner::parser::{CronParser, Seconds};

/// A cron expression, checked.
#[derive(Debug, Clone)]
pub struct Schedule {
    pub expression: String,
    cron: Cron,
}

/// Two schedules are the same when written the same.
impl PartialEq for Schedule {
    fn eq(&self, other: &Self) -> bool {
        self.expression == other.expression
    }
}

impl FromStr for Schedule {
    type Err = String;

    fn from_str(expression: &str) -> Result<Self, String> {
        let cron = CronParser::builder()
            .seconds(Seconds::Disallowed)
            .alternative_weekdays(true)
            .build()
            .parse(expression)
            .map_err(|e| format!("invalid cron expression {expression:?}: {e}"))?;
        Ok(Self {
            expression: expression.to_string(),
            cron,
        })
    }
}

impl Schedule {
    /// The next time this fires after `after`: a whole minute, whatever
    /// fraction of a second `after` has (so hosts agree on it).
    pub fn next_after(&self, after: chrono::DateTime<Utc>) -> Option<chrono::DateTime<Utc>> {
        let after = after.trunc_subsecs(0);
        self.cron.find_next_occurrence(&after, false).ok()
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Datelike, TimeZone, Timelike};

    use super::*;

    #[test]
    fn cloudflare_cron_syntax() {
        let start = Utc.with_ymd_and_hms(2026, 11, 21, 10, 7, 30).unwrap(); // a Saturday
        let every_five: Schedule = "*/5 * * * *".parse().unwrap();
        let next = every_five.next_after(start).unwrap();
        assert_eq!((next.hour(), next.minute()), (10, 10));
        let later_in_the_second = start + chrono::Duration::milliseconds(437);
        assert_eq!(
            every_five.next_after(later_in_the_second).unwrap(),
            next,
            "a whole minute, whenever in the second it is asked"
        );

        // 1 is Sunday in Cloudflare's (Quartz's) numbering.
        let sundays: Schedule = "0 17 * * 1".parse().unwrap();
        assert_eq!(
            sundays.next_after(start).unwrap().weekday(),
            chrono::Weekday::Sun
        );
        let by_name: Schedule = "0 17 * * sun".parse().unwrap();
        assert_eq!(
            by_name.next_after(start).unwrap(),
            sundays.next_after(start).unwrap()
        );

        let bad = "61 * * * *".parse::<Schedule>().unwrap_err();
        assert!(
            bad.contains("invalid cron expression \"61 * * * *\""),
            "{bad}"
        );
    }
}
