//! The group policy: per group type and the asker's role, which group operations are allowed, and
//! the Tencent code of a refusal. The one place that says so, asked by the SDK-facing use cases
//! (`groups`, `group_members`) and by the REST administration (`admin_groups`) alike.
//!
//! The rules are seed 004's (the `createGroup`, `dismissGroup`, `quitGroup`, `addGroupMember`,
//! `deleteGroupMember`, `setGroupMemberMuteTime`, `setGroupMemberRole`, `setGroupMemberNameCard`,
//! `changeGroupOwner` and `updateGroupProfile` chapters and the per-type differences collected in
//! `shared/spec/seed-inventory.md` §7.5). Where the seeds are silent the choice is written next to
//! the rule. Membership itself (is the asker a member at all) is checked by the caller, which knows
//! whether the group exists; this module decides only what a role may do.

use mynah_proto::codes::ErrorCode;
use mynah_proto::objects::{GroupType, MemberRole};

use crate::error::ServiceError;

/// Who asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Actor {
    /// A member of the group, with its role.
    Member(MemberRole),
    /// The app's administrator through the REST API: above every role, still bound by what the
    /// group type allows at all (nobody, the administrator included, invites into a live room).
    AppAdmin,
}

/// A group operation, with the role of the member it acts on where that matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupAction {
    /// Add (invite) members: `addGroupMember`.
    AddMembers,
    /// Remove a member who has `target` role: `deleteGroupMember`.
    RemoveMember { target: MemberRole },
    /// Make a member who has `target` role an admin or an ordinary member: `setGroupMemberRole`.
    SetRole { target: MemberRole },
    /// Mute or unmute a member who has `target` role: `setGroupMemberMuteTime`.
    Mute { target: MemberRole },
    /// Change the name, introduction, notification or avatar: `updateGroupProfile`.
    EditProfile,
    /// Change how users may join (`joinOption`): `updateGroupProfile`.
    SetJoinOption,
    /// Hand the group to another member: `changeGroupOwner`.
    TransferOwnership,
    /// Dismiss the group: `dismissGroup`.
    Dismiss,
    /// Leave the group: `quitGroup`.
    Quit,
    /// Set the name card of a member who has `target` role, or one's own when `target` is `None`:
    /// `setGroupMemberNameCard`.
    SetNameCard { target: Option<MemberRole> },
    /// Read the member list and member profiles: `getGroupMemberList`, `getGroupMemberProfile`.
    ReadMembers,
    /// Ask the roles of named users in one batch: `get_role_in_group` (REST).
    QueryRoles,
}

/// Why an operation is refused: the code the client sees and a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Denial {
    pub code: ErrorCode,
    pub reason: &'static str,
}

impl From<Denial> for ServiceError {
    fn from(denial: Denial) -> ServiceError {
        ServiceError::new(denial.code, denial.reason)
    }
}

/// Whether `actor` may do `action` in a group of `group_type`; the refusal when not.
pub fn check(group_type: GroupType, actor: Actor, action: GroupAction) -> Result<(), Denial> {
    use GroupAction::*;
    use GroupType::*;
    use MemberRole::{Admin, Member, Owner};

    let role = match actor {
        Actor::Member(role) => Some(role),
        Actor::AppAdmin => None,
    };
    let is_owner = role == Some(Owner);
    // Owner and admins; the administrator counts as both.
    let manages = matches!(role, None | Some(Owner) | Some(Admin));
    let no_permission = |reason| Err(Denial { code: ErrorCode::GROUP_NO_PERMISSION, reason });

    match action {
        AddMembers => match group_type {
            AVChatRoom => no_permission("nobody, the app administrator included, invites into a live room"),
            // Any member of a work group may bring others in directly.
            Work => Ok(()),
            // Public, meeting groups and communities: only the owner and admins, since member
            // invitations are off by default (`inviteOption` DisableInvite) and the option is
            // not kept yet.
            Public | Meeting | Community if manages => Ok(()),
            Public | Meeting | Community => no_permission("only the owner and admins may add members to this group"),
        },
        RemoveMember { target } => {
            if target == Owner {
                return Err(Denial {
                    code: ErrorCode::GROUP_INVALID_PARAMETER,
                    reason: "the owner cannot be removed from the group",
                });
            }
            match (group_type, role) {
                (_, None) => Ok(()),
                // Seeds: "the owner can remove members"; in work groups only the owner.
                (_, Some(Owner)) => Ok(()),
                // Where the type has admins, an admin removes ordinary members (Tencent's group
                // type table; the seeds leave admins' rights unstated).
                (Public | Meeting | Community | AVChatRoom, Some(Admin)) if target == Member => Ok(()),
                _ => no_permission("you may not remove this member"),
            }
        }
        SetRole { target } => {
            if matches!(group_type, Work | AVChatRoom) {
                return Err(Denial {
                    code: ErrorCode::GROUP_ROLE_CHANGE_UNSUPPORTED,
                    reason: "member roles cannot be changed in work groups and live rooms",
                });
            }
            if target == Owner {
                return Err(Denial {
                    code: ErrorCode::GROUP_INVALID_PARAMETER,
                    reason: "the owner's role changes only by changeGroupOwner",
                });
            }
            if role.is_none() || is_owner { Ok(()) } else { no_permission("only the owner may change roles") }
        }
        Mute { target } => {
            if group_type == Work {
                return Err(Denial {
                    code: ErrorCode::GROUP_TYPE_UNSUPPORTED,
                    reason: "members of work groups cannot be muted",
                });
            }
            match (role, target) {
                (_, Owner) => no_permission("the owner cannot be muted"),
                (None | Some(Owner), _) => Ok(()),
                (Some(Admin), Member) => Ok(()),
                _ => no_permission("the owner mutes admins and members, an admin mutes members"),
            }
        }
        EditProfile => match group_type {
            // Any member of a work group may edit its profile (Tencent's group type table).
            Work => Ok(()),
            _ if manages => Ok(()),
            _ => no_permission("only the owner and admins may change the group profile"),
        },
        SetJoinOption => {
            if !group_type.join_option_settable() {
                return Err(Denial {
                    code: ErrorCode::GROUP_INVALID_PARAMETER,
                    reason: "the join option of work, meeting and live groups cannot be changed",
                });
            }
            if manages { Ok(()) } else { no_permission("only the owner and admins may change the join option") }
        }
        TransferOwnership => {
            if group_type == AVChatRoom {
                // Tencent's REST `change_group_owner` answers a live room with 10007; the SDK's
                // `changeGroupOwner` with the unsupported-type code.
                let code =
                    if role.is_none() { ErrorCode::GROUP_NO_PERMISSION } else { ErrorCode::GROUP_TYPE_UNSUPPORTED };
                return Err(Denial { code, reason: "live rooms cannot be transferred" });
            }
            if role.is_none() || is_owner { Ok(()) } else { no_permission("only the owner may transfer the group") }
        }
        Dismiss => match role {
            None => Ok(()),
            Some(Owner) if group_type == Work => no_permission(
                "the owner cannot dismiss a work group (it may quit; the app administrator may dismiss it)",
            ),
            Some(Owner) => Ok(()),
            Some(_) => no_permission("only the owner may dismiss the group"),
        },
        Quit => match (role, group_type) {
            // An owner may quit only a work group, which then has no owner.
            (Some(Owner), Work) => Ok(()),
            (Some(Owner), _) => Err(Denial {
                code: ErrorCode::GROUP_OWNER_CANNOT_QUIT,
                reason: "the owner cannot quit this group; transfer or dismiss it",
            }),
            (Some(_), _) => Ok(()),
            (None, _) => {
                Err(Denial { code: ErrorCode::GROUP_INVALID_PARAMETER, reason: "the administrator is not a member" })
            }
        },
        SetNameCard { target } => {
            if group_type == AVChatRoom {
                return Err(member_profile_unsupported());
            }
            match (role, target) {
                (_, None) | (None | Some(Owner), _) => Ok(()),
                (Some(Admin), Some(Member)) => Ok(()),
                _ => no_permission("you may set only your own name card here"),
            }
        }
        ReadMembers => {
            if group_type == AVChatRoom {
                return Err(member_profile_unsupported());
            }
            Ok(())
        }
        // Tencent's `get_role_in_group` refuses live rooms with 10007 (their roles are read
        // through member profiles instead).
        QueryRoles if group_type == AVChatRoom => {
            no_permission("live rooms answer role queries only through member profiles")
        }
        QueryRoles => Ok(()),
    }
}

fn member_profile_unsupported() -> Denial {
    Denial { code: ErrorCode::GROUP_MEMBER_PROFILE_UNSUPPORTED, reason: "live rooms keep no member profiles" }
}

#[cfg(test)]
#[path = "policy_tests.rs"]
mod tests;
