//! The demo organisation's people and bots. One table feeds git authors, GitHub logins, the HR
//! roster and every access list, so the exports agree with the repository by construction.

/// How a person relates to the company; bots and the GitHub web-flow identity are not people
/// HR knows about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Employee,
    Contractor,
    Bot,
}

#[derive(Debug)]
pub(crate) struct Person {
    /// HR employee id; empty for bots.
    pub id: &'static str,
    pub name: &'static str,
    pub email: &'static str,
    pub login: &'static str,
    /// GitHub database id (the number inside the GraphQL node id).
    pub github_id: u64,
    pub title: &'static str,
    pub department: &'static str,
    pub manager: Option<&'static Person>,
    pub kind: Kind,
    pub start: &'static str,
    /// Last day of employment or contract, when there is one.
    pub end: Option<&'static str>,
    /// UTC offset of the person's own git commits, in minutes.
    pub tz: i32,
}

const BLANK: Person = Person {
    id: "",
    name: "",
    email: "",
    login: "",
    github_id: 0,
    title: "",
    department: "",
    manager: None,
    kind: Kind::Employee,
    start: "2020-01-06",
    end: None,
    tz: 0,
};

pub(crate) const JONATHAN: Person = Person {
    id: "E1001",
    name: "Jonathan Pike",
    email: "jonathan.pike@demo-fintech.example",
    title: "Chief Executive Officer",
    department: "Executive",
    start: "2019-02-04",
    ..BLANK
};

pub(crate) const SAMUEL: Person = Person {
    id: "E1002",
    name: "Samuel Njoroge",
    email: "samuel.njoroge@demo-fintech.example",
    login: "snjoroge",
    github_id: 71_000_102,
    title: "Chief Technology Officer",
    department: "Engineering",
    manager: Some(&JONATHAN),
    start: "2019-03-04",
    ..BLANK
};

pub(crate) const LAURA: Person = Person {
    id: "E1003",
    name: "Laura Mendes",
    email: "laura.mendes@demo-fintech.example",
    login: "",
    title: "Chief Financial Officer",
    department: "Finance",
    manager: Some(&JONATHAN),
    start: "2020-09-14",
    ..BLANK
};

pub(crate) const GRACE: Person = Person {
    id: "E1004",
    name: "Grace Whitfield",
    email: "grace.whitfield@demo-fintech.example",
    login: "gwhitfield",
    github_id: 71_000_104,
    title: "Engineering Manager, Payments",
    department: "Engineering",
    manager: Some(&SAMUEL),
    start: "2021-01-11",
    tz: 60,
    ..BLANK
};

pub(crate) const MEI: Person = Person {
    id: "E1005",
    name: "Mei Tanaka",
    email: "mei.tanaka@demo-fintech.example",
    login: "mtanaka",
    github_id: 71_000_105,
    title: "Security & Compliance Lead",
    department: "Security",
    manager: Some(&SAMUEL),
    start: "2022-04-04",
    ..BLANK
};

pub(crate) const PRIYA: Person = Person {
    id: "E1006",
    name: "Priya Raman",
    email: "priya.raman@demo-fintech.example",
    login: "priya-raman",
    github_id: 71_000_106,
    title: "Staff Software Engineer",
    department: "Engineering",
    manager: Some(&GRACE),
    start: "2020-06-01",
    tz: 60,
    ..BLANK
};

pub(crate) const MARCUS: Person = Person {
    id: "E1007",
    name: "Marcus Okafor",
    email: "marcus.okafor@demo-fintech.example",
    login: "mokafor",
    github_id: 71_000_107,
    title: "Senior Software Engineer",
    department: "Engineering",
    manager: Some(&GRACE),
    start: "2021-08-16",
    tz: -240,
    ..BLANK
};

pub(crate) const ELENA: Person = Person {
    id: "E1008",
    name: "Elena Sokolova",
    email: "elena.sokolova@demo-fintech.example",
    login: "esokolova",
    github_id: 71_000_108,
    title: "Software Engineer",
    department: "Engineering",
    manager: Some(&GRACE),
    start: "2023-02-06",
    tz: 120,
    ..BLANK
};

pub(crate) const TOMAS: Person = Person {
    id: "E1009",
    name: "Tomás Álvarez",
    email: "tomas.alvarez@demo-fintech.example",
    login: "talvarez",
    github_id: 71_000_109,
    title: "Software Engineer",
    department: "Engineering",
    manager: Some(&GRACE),
    start: "2023-09-04",
    tz: 120,
    ..BLANK
};

/// Tomás committing from a laptop whose git identity was never configured; `.mailmap` maps it.
pub(crate) const TOMAS_LAPTOP: Person = Person {
    name: "tomas",
    email: "tomas@Tomass-MacBook-Pro.local",
    ..TOMAS
};

pub(crate) const HANNAH: Person = Person {
    id: "E1010",
    name: "Hannah Lindqvist",
    email: "hannah.lindqvist@demo-fintech.example",
    login: "hlindqvist",
    github_id: 71_000_110,
    title: "Site Reliability Engineer",
    department: "Engineering",
    manager: Some(&GRACE),
    start: "2022-01-10",
    tz: 120,
    ..BLANK
};

pub(crate) const DEV: Person = Person {
    id: "C2001",
    name: "Dev Patel",
    email: "dev.patel@demo-fintech.example",
    login: "devpatel-nw",
    github_id: 71_000_201,
    title: "Contract Software Engineer (Northwind Consulting)",
    department: "Engineering",
    manager: Some(&GRACE),
    kind: Kind::Contractor,
    start: "2026-05-04",
    end: Some("2026-12-31"),
    tz: 330,
};

/// Left on 2026-08-14; the demo keeps some of his accounts active on purpose.
pub(crate) const KEVIN: Person = Person {
    id: "E1011",
    name: "Kevin Brandt",
    email: "kevin.brandt@demo-fintech.example",
    login: "kbrandt",
    github_id: 71_000_111,
    title: "Software Engineer",
    department: "Engineering",
    manager: Some(&GRACE),
    start: "2022-10-03",
    end: Some("2026-08-14"),
    tz: -300,
    ..BLANK
};

/// Left before the period and was deprovisioned properly: the control case for Kevin.
pub(crate) const RUTH: Person = Person {
    id: "E1012",
    name: "Ruth Abernathy",
    email: "ruth.abernathy@demo-fintech.example",
    login: "rabernathy",
    github_id: 71_000_112,
    title: "Software Engineer",
    department: "Engineering",
    manager: Some(&GRACE),
    start: "2021-05-17",
    end: Some("2026-05-29"),
    ..BLANK
};

pub(crate) const AISHA: Person = Person {
    id: "E1013",
    name: "Aisha Rahman",
    email: "aisha.rahman@demo-fintech.example",
    login: "",
    title: "Financial Controller",
    department: "Finance",
    manager: Some(&LAURA),
    start: "2021-03-01",
    ..BLANK
};

pub(crate) const OLIVER: Person = Person {
    id: "E1014",
    name: "Oliver Chen",
    email: "oliver.chen@demo-fintech.example",
    login: "",
    title: "Customer Operations Lead",
    department: "Customer Operations",
    manager: Some(&JONATHAN),
    start: "2022-07-18",
    ..BLANK
};

pub(crate) const DEPENDABOT: Person = Person {
    name: "dependabot[bot]",
    email: "49699333+dependabot[bot]@users.noreply.github.com",
    login: "dependabot[bot]",
    github_id: 49_699_333,
    kind: Kind::Bot,
    ..BLANK
};

pub(crate) const ACTIONS: Person = Person {
    name: "github-actions[bot]",
    email: "41898282+github-actions[bot]@users.noreply.github.com",
    login: "github-actions[bot]",
    github_id: 41_898_282,
    kind: Kind::Bot,
    ..BLANK
};

/// The committer of every merge and squash commit GitHub creates.
pub(crate) const WEB_FLOW: Person = Person {
    name: "GitHub",
    email: "noreply@github.com",
    login: "web-flow",
    github_id: 19_864_447,
    kind: Kind::Bot,
    ..BLANK
};

/// Everyone HR knows about, in employee-id order (the roster's row order).
pub(crate) const ROSTER: [&Person; 15] = [
    &JONATHAN, &SAMUEL, &LAURA, &GRACE, &MEI, &PRIYA, &MARCUS, &ELENA, &TOMAS, &HANNAH, &KEVIN,
    &RUTH, &AISHA, &OLIVER, &DEV,
];

/// Engineers who open everyday pull requests, in rotation order.
pub(crate) const ROTATION: [&Person; 6] = [&PRIYA, &MARCUS, &ELENA, &TOMAS, &HANNAH, &DEV];

impl Person {
    pub(crate) fn is_bot(&self) -> bool {
        self.kind == Kind::Bot
    }

    /// GitHub's legacy GraphQL node id (`04:User<id>` or `03:Bot<id>`, base64), which is what
    /// `gh` prints as `id`.
    pub(crate) fn node_id(&self) -> String {
        let raw = if self.is_bot() {
            format!("03:Bot{}", self.github_id)
        } else {
            format!("04:User{}", self.github_id)
        };
        base64(raw.as_bytes())
    }

    pub(crate) fn first_name(&self) -> &'static str {
        self.name
            .split_once(' ')
            .map_or(self.name, |(first, _)| first)
    }

    pub(crate) fn last_name(&self) -> &'static str {
        self.name.split_once(' ').map_or("", |(_, last)| last)
    }
}

/// Standard base64 with padding; small enough not to need a dependency.
pub(crate) fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_ids_match_githubs_legacy_format() {
        assert_eq!(DEPENDABOT.node_id(), "MDM6Qm90NDk2OTkzMzM=");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
    }

    #[test]
    fn roster_ids_and_emails_are_unique_and_managers_are_on_it() {
        let mut ids: Vec<_> = ROSTER.iter().map(|p| p.id).collect();
        let mut emails: Vec<_> = ROSTER.iter().map(|p| p.email).collect();
        ids.sort_unstable();
        ids.dedup();
        emails.sort_unstable();
        emails.dedup();
        assert_eq!(ids.len(), ROSTER.len());
        assert_eq!(emails.len(), ROSTER.len());
        for person in ROSTER {
            if let Some(manager) = person.manager {
                assert!(ROSTER.iter().any(|p| p.id == manager.id), "{}", person.name);
            }
        }
    }
}
