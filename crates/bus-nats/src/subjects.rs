//! The NATS subject of each topic: `{prefix}.{app}.u.{user}` and `{prefix}.{app}.g.{group}`, the
//! name hex-encoded after an `x`, so any id (empty, or with `.`, `*`, `>` or spaces) is exactly one
//! valid subject token and no id can reach another topic's subject.

use std::fmt::Write;

use mynah_bus::{AppId, Topic};

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Subject names under one prefix. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Subjects {
    prefix: Box<str>,
}

impl Subjects {
    pub fn new(prefix: &str) -> Subjects {
        Subjects { prefix: prefix.into() }
    }

    /// The subject of a topic.
    pub fn topic(&self, app: AppId, topic: Topic<'_>) -> String {
        let (kind, name) = match topic {
            Topic::User(user) => ('u', user),
            Topic::Group(group) => ('g', group),
        };
        let mut subject = String::with_capacity(self.prefix.len() + 24 + 2 * name.len());
        // Writing to a `String` cannot fail.
        let _ = write!(subject, "{}.{app}.{kind}.x", self.prefix);
        for byte in name.bytes() {
            subject.push(char::from(HEX[usize::from(byte >> 4)]));
            subject.push(char::from(HEX[usize::from(byte & 0xf)]));
        }
        subject
    }

    /// A subject nobody subscribes to: a request there comes back at once as "no responders",
    /// after the server has handled everything this connection sent before it.
    pub fn settle(&self) -> String {
        format!("{}.settle", self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_is_one_token_of_its_own_topic() {
        let subjects = Subjects::new("mynah");
        assert_eq!(subjects.topic(7, Topic::User("ab")), "mynah.7.u.x6162");
        assert_eq!(subjects.topic(7, Topic::Group("ab")), "mynah.7.g.x6162");
        assert_eq!(subjects.topic(7, Topic::User("")), "mynah.7.u.x");
        for name in ["a.b", "*", ">", "a b", "用户", "x"] {
            let subject = subjects.topic(1, Topic::User(name));
            assert_eq!(subject.split('.').count(), 4, "{subject}");
            assert!(subject.chars().all(|c| c.is_ascii_alphanumeric() || c == '.'), "{subject}");
        }
        assert_ne!(subjects.topic(1, Topic::User("a.b")), subjects.topic(1, Topic::User("a_b")));
    }
}
