//! The policy matrix, row by row from the seeds: every group type Mynah stores (Work, Public,
//! Meeting) against every role and operation, plus the live-room rules the seeds spell out.

use mynah_proto::objects::GroupType::{self, AVChatRoom, Meeting, Public, Work};
use mynah_proto::objects::MemberRole::{Admin, Member, Owner};

use super::Actor::{self, AppAdmin};
use super::GroupAction::{self, *};
use super::check;

const OK: u32 = 0;
const NO_PERMISSION: u32 = 10007;
const INVALID: u32 = 10004;
const OWNER_CANNOT_QUIT: u32 = 10009;
const TYPE_UNSUPPORTED: u32 = 10035;
const ROLE_UNSUPPORTED: u32 = 2682;
const PROFILE_UNSUPPORTED: u32 = 2687;

fn owner() -> Actor {
    Actor::Member(Owner)
}
fn admin() -> Actor {
    Actor::Member(Admin)
}
fn member() -> Actor {
    Actor::Member(Member)
}

/// One row: in a group of this type, this actor doing this action gets this code (0: allowed).
type Row = (GroupType, Actor, GroupAction, u32);

fn matrix() -> Vec<Row> {
    let mut rows: Vec<Row> = Vec::new();
    // addGroupMember: any member of a work group; owner and admins elsewhere (inviteOption's
    // default forbids members); nobody in a live room.
    for (group_type, member_code) in [(Work, OK), (Public, NO_PERMISSION), (Meeting, NO_PERMISSION)] {
        rows.extend([
            (group_type, owner(), AddMembers, OK),
            (group_type, admin(), AddMembers, OK),
            (group_type, member(), AddMembers, member_code),
            (group_type, AppAdmin, AddMembers, OK),
        ]);
    }
    rows.extend([(AVChatRoom, owner(), AddMembers, NO_PERMISSION), (AVChatRoom, AppAdmin, AddMembers, NO_PERMISSION)]);

    // deleteGroupMember: the owner removes anyone but itself; admins remove ordinary members where
    // the type has admins; nobody removes the owner.
    for group_type in [Work, Public, Meeting] {
        let admin_removes_member = if group_type == Work { NO_PERMISSION } else { OK };
        rows.extend([
            (group_type, owner(), RemoveMember { target: Member }, OK),
            (group_type, owner(), RemoveMember { target: Admin }, OK),
            (group_type, owner(), RemoveMember { target: Owner }, INVALID),
            (group_type, admin(), RemoveMember { target: Member }, admin_removes_member),
            (group_type, admin(), RemoveMember { target: Admin }, NO_PERMISSION),
            (group_type, member(), RemoveMember { target: Member }, NO_PERMISSION),
            (group_type, AppAdmin, RemoveMember { target: Admin }, OK),
            (group_type, AppAdmin, RemoveMember { target: Owner }, INVALID),
        ]);
    }

    // setGroupMemberRole: owner only; not in work groups or live rooms (2682).
    for group_type in [Public, Meeting] {
        rows.extend([
            (group_type, owner(), SetRole { target: Member }, OK),
            (group_type, owner(), SetRole { target: Admin }, OK),
            (group_type, owner(), SetRole { target: Owner }, INVALID),
            (group_type, admin(), SetRole { target: Member }, NO_PERMISSION),
            (group_type, member(), SetRole { target: Member }, NO_PERMISSION),
            (group_type, AppAdmin, SetRole { target: Admin }, OK),
        ]);
    }
    for group_type in [Work, AVChatRoom] {
        rows.extend([
            (group_type, owner(), SetRole { target: Member }, ROLE_UNSUPPORTED),
            (group_type, AppAdmin, SetRole { target: Member }, ROLE_UNSUPPORTED),
        ]);
    }

    // setGroupMemberMuteTime: not in work groups; the owner mutes admins and members, an admin
    // mutes members; nobody mutes the owner.
    rows.extend([
        (Work, owner(), Mute { target: Member }, TYPE_UNSUPPORTED),
        (Work, AppAdmin, Mute { target: Member }, TYPE_UNSUPPORTED),
    ]);
    for group_type in [Public, Meeting, AVChatRoom] {
        rows.extend([
            (group_type, owner(), Mute { target: Admin }, OK),
            (group_type, owner(), Mute { target: Member }, OK),
            (group_type, admin(), Mute { target: Member }, OK),
            (group_type, admin(), Mute { target: Admin }, NO_PERMISSION),
            (group_type, admin(), Mute { target: Owner }, NO_PERMISSION),
            (group_type, member(), Mute { target: Member }, NO_PERMISSION),
            (group_type, AppAdmin, Mute { target: Admin }, OK),
        ]);
    }

    // updateGroupProfile: any member of a work group; owner and admins elsewhere. The join option
    // only where the type lets it be chosen (Public).
    for (group_type, member_code) in [(Work, OK), (Public, NO_PERMISSION), (Meeting, NO_PERMISSION)] {
        rows.extend([
            (group_type, owner(), EditProfile, OK),
            (group_type, admin(), EditProfile, OK),
            (group_type, member(), EditProfile, member_code),
            (group_type, AppAdmin, EditProfile, OK),
        ]);
    }
    rows.extend([
        (Public, owner(), SetJoinOption, OK),
        (Public, admin(), SetJoinOption, OK),
        (Public, member(), SetJoinOption, NO_PERMISSION),
        (Work, owner(), SetJoinOption, INVALID),
        (Meeting, owner(), SetJoinOption, INVALID),
        (AVChatRoom, owner(), SetJoinOption, INVALID),
    ]);

    // changeGroupOwner: the owner only; never a live room.
    for group_type in [Work, Public, Meeting] {
        rows.extend([
            (group_type, owner(), TransferOwnership, OK),
            (group_type, admin(), TransferOwnership, NO_PERMISSION),
            (group_type, member(), TransferOwnership, NO_PERMISSION),
            (group_type, AppAdmin, TransferOwnership, OK),
        ]);
    }
    rows.push((AVChatRoom, owner(), TransferOwnership, TYPE_UNSUPPORTED));
    rows.push((AVChatRoom, AppAdmin, TransferOwnership, NO_PERMISSION));

    // get_role_in_group: every type but live rooms.
    for group_type in [Work, Public, Meeting] {
        rows.push((group_type, AppAdmin, QueryRoles, OK));
    }
    rows.push((AVChatRoom, AppAdmin, QueryRoles, NO_PERMISSION));

    // dismissGroup: the owner, except of a work group (which only the administrator dismisses).
    rows.extend([
        (Work, owner(), Dismiss, NO_PERMISSION),
        (Work, AppAdmin, Dismiss, OK),
        (Public, owner(), Dismiss, OK),
        (Meeting, owner(), Dismiss, OK),
        (AVChatRoom, owner(), Dismiss, OK),
    ]);
    for group_type in [Work, Public, Meeting] {
        rows.extend([(group_type, admin(), Dismiss, NO_PERMISSION), (group_type, member(), Dismiss, NO_PERMISSION)]);
    }

    // quitGroup: anyone but the owner; the owner of a work group too (it becomes ownerless).
    rows.extend([
        (Work, owner(), Quit, OK),
        (Public, owner(), Quit, OWNER_CANNOT_QUIT),
        (Meeting, owner(), Quit, OWNER_CANNOT_QUIT),
        (AVChatRoom, owner(), Quit, OWNER_CANNOT_QUIT),
    ]);
    for group_type in [Work, Public, Meeting] {
        rows.extend([(group_type, admin(), Quit, OK), (group_type, member(), Quit, OK)]);
    }

    // setGroupMemberNameCard: the owner sets anyone's, an admin its own and members', a member
    // only its own; live rooms keep no member profiles (2687).
    for group_type in [Work, Public, Meeting] {
        rows.extend([
            (group_type, owner(), SetNameCard { target: Some(Admin) }, OK),
            (group_type, owner(), SetNameCard { target: None }, OK),
            (group_type, admin(), SetNameCard { target: None }, OK),
            (group_type, admin(), SetNameCard { target: Some(Member) }, OK),
            (group_type, admin(), SetNameCard { target: Some(Admin) }, NO_PERMISSION),
            (group_type, admin(), SetNameCard { target: Some(Owner) }, NO_PERMISSION),
            (group_type, member(), SetNameCard { target: None }, OK),
            (group_type, member(), SetNameCard { target: Some(Member) }, NO_PERMISSION),
            (group_type, AppAdmin, SetNameCard { target: Some(Owner) }, OK),
        ]);
    }
    rows.push((AVChatRoom, owner(), SetNameCard { target: None }, PROFILE_UNSUPPORTED));

    // getGroupMemberList / getGroupMemberProfile: every member; live rooms keep no member profiles.
    for group_type in [Work, Public, Meeting] {
        rows.extend([(group_type, member(), ReadMembers, OK), (group_type, AppAdmin, ReadMembers, OK)]);
    }
    rows.push((AVChatRoom, member(), ReadMembers, PROFILE_UNSUPPORTED));
    rows
}

#[test]
fn the_matrix_of_the_seeds() {
    let mut wrong = Vec::new();
    for (group_type, actor, action, expected) in matrix() {
        let got = match check(group_type, actor, action) {
            Ok(()) => 0,
            Err(denial) => denial.code.0,
        };
        if got != expected {
            wrong.push(format!("{group_type:?} {actor:?} {action:?}: expected {expected}, got {got}"));
        }
    }
    assert!(wrong.is_empty(), "rows that differ:\n{}", wrong.join("\n"));
}

#[test]
fn every_denial_says_why() {
    for (group_type, actor, action, _) in matrix() {
        if let Err(denial) = check(group_type, actor, action) {
            assert!(!denial.reason.is_empty());
        }
    }
}
