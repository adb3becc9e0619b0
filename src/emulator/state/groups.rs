//! PIM for Groups in the tenant: a group's two policies (member and owner) and its onboarding, its requests
//! (resolved into the shared [`Submission`]), the membership and ownership its active schedules give, and the
//! group wire types the routes serve.
//!
//! Onboarding (digest §2, §11.6): every group has a member and an owner policy, and list calls work on any group,
//! but a group is onboarded to PIM by its first schedule request or policy update, and onboarding changes its
//! policies' ids. Before that, its policies are Microsoft's untouched group policies under ids of their own
//! ([`State::group_policies`]); onboarding stores them under their lasting ids ([`State::onboard_group`]).

use super::requests::Submission;
use super::{Caller, Level, PolicyRec, Schedule, State, Surface, Target, eq};
use crate::emulator::http::{ApiError, ApiResult};
use crate::emulator::ids::det_uuid;
use crate::graph::defaults::default_group_rules;
use crate::graph::*;
use chrono::{DateTime, Utc};
use std::borrow::Cow;

type Dt = DateTime<Utc>;

const ACCESSES: [AccessId; 2] = [AccessId::Member, AccessId::Owner];

impl State {
    // -- policies -------------------------------------------------------------------------------------------------

    /// The id of a group's policy for one access, before (`onboarded: false`) or after onboarding.
    fn group_policy_id(&self, group_id: &str, access: AccessId, onboarded: bool) -> String {
        let stage = if onboarded { "onboarded" } else { "untouched" };
        let gid = group_id.to_lowercase();
        let guid = det_uuid(&[
            &self.tenant_id,
            "group-policy",
            stage,
            &gid,
            access.as_str(),
        ]);
        format!("Group_{gid}_{guid}")
    }

    fn group_policy(&self, group_id: &str, access: AccessId, onboarded: bool) -> PolicyRec {
        PolicyRec {
            policy: UnifiedRoleManagementPolicy {
                id: self.group_policy_id(group_id, access, onboarded),
                display_name: "Group".into(),
                description: "Group".into(),
                is_organization_default: Some(false),
                scope_id: group_id.to_lowercase(),
                scope_type: "Group".into(),
                last_modified_date_time: None,
                last_modified_by: Some(Identity::default()),
                rules: None,
                effective_rules: None,
            },
            role_definition_id: access.as_str().into(),
            rules: default_group_rules(),
        }
    }

    /// Whether a group is onboarded to PIM (its policies are stored under their lasting ids).
    pub fn group_onboarded(&self, group_id: &str) -> bool {
        self.policies
            .iter()
            .any(|p| p.policy.scope_type == "Group" && eq(&p.policy.scope_id, group_id))
    }

    /// Onboards a group: stores its two policies under their lasting ids. Nothing happens if it is onboarded.
    pub fn onboard_group(&mut self, group_id: &str) {
        if self.group_onboarded(group_id) {
            return;
        }
        for access in ACCESSES {
            let p = self.group_policy(group_id, access, true);
            self.policies.push(p);
        }
    }

    /// A group's two policies, member first: the stored ones once it is onboarded, the untouched ones before.
    pub fn group_policies(&self, group_id: &str) -> Vec<Cow<'_, PolicyRec>> {
        let stored: Vec<_> = self
            .policies
            .iter()
            .filter(|p| p.policy.scope_type == "Group" && eq(&p.policy.scope_id, group_id))
            .map(Cow::Borrowed)
            .collect();
        if !stored.is_empty() || self.group(group_id).is_none() {
            return stored;
        }
        ACCESSES
            .into_iter()
            .map(|a| Cow::Owned(self.group_policy(group_id, a, false)))
            .collect()
    }

    /// A policy by id: a stored one, or the untouched policy of a group not yet onboarded.
    pub fn any_policy(&self, id: &str) -> Option<Cow<'_, PolicyRec>> {
        if let Some(p) = self.policy(id) {
            return Some(Cow::Borrowed(p));
        }
        let group_id = id.strip_prefix("Group_")?.split('_').next()?;
        self.group_policies(group_id)
            .into_iter()
            .find(|p| eq(&p.policy.id, id))
    }

    /// The stored policy a policy id names, onboarding its group first when the id is the untouched policy of a
    /// group: a policy update onboards the group, and the update lands on the policy under its new id.
    pub(super) fn policy_for_update(&mut self, id: &str) -> Option<usize> {
        if let Some(i) = self.policies.iter().position(|p| eq(&p.policy.id, id)) {
            return Some(i);
        }
        let p = self.any_policy(id)?.into_owned();
        self.onboard_group(&p.policy.scope_id);
        let target = Target {
            surface: Surface::Group,
            role: p.role_definition_id,
            scope: p.policy.scope_id,
        };
        self.policies.iter().position(|p| {
            p.policy.scope_type == "Group"
                && p.policy.scope_id == target.scope
                && p.role_definition_id == target.role
        })
    }

    // -- requests -------------------------------------------------------------------------------------------------

    /// Handles `POST /identityGovernance/privilegedAccess/group/eligibilityScheduleRequests` or
    /// `.../assignmentScheduleRequests`, with the same policy enforcement as directory roles. A request that is
    /// carried out (not one that fails or only validates) onboards the group.
    pub fn submit_group(
        &mut self,
        level: Level,
        body: NewGroupScheduleRequest,
        caller: &Caller,
        now: Dt,
    ) -> ApiResult<GroupScheduleRequest> {
        let sub = self.group_submission(level, body)?;
        let was_onboarded = self.group_onboarded(&sub.target.scope);
        // The group's policy decides, so it is stored before the request is checked against it.
        self.onboard_group(&sub.target.scope);
        let validation_only = sub.is_validation_only;
        let group_id = sub.target.scope.clone();
        let result = self.submit_checked(sub, caller, now);
        if !was_onboarded && (result.is_err() || validation_only) {
            self.policies
                .retain(|p| !(p.policy.scope_type == "Group" && p.policy.scope_id == group_id));
        }
        Ok(self.render_group_request(&result?))
    }

    /// Checks a group request and resolves its group and principal.
    fn group_submission(
        &self,
        level: Level,
        body: NewGroupScheduleRequest,
    ) -> ApiResult<Submission> {
        use ScheduleRequestAction as A;
        if body.access_id == AccessId::UnknownFutureValue {
            return Err(ApiError::bad_request(
                "accessId must be 'member' or 'owner'.",
            ));
        }
        // An invalid group request is answered 400 InvalidRoleAssignmentRequest in the field
        // (hashicorp/terraform-provider-azuread#1464); the message is the emulator's.
        let group = self.group(&body.group_id).ok_or_else(|| {
            ApiError::new(
                400,
                "InvalidRoleAssignmentRequest",
                format!("The group '{}' was not found.", body.group_id),
            )
        })?;
        let group_id = group.group.id.clone();
        let principal = self.subject(&body.principal_id)?;
        let principal_id = principal.id().to_string();
        if matches!(principal, DirectoryObject::ServicePrincipal(_)) && level == Level::Eligibility
        {
            return Err(ApiError::bad_request(
                "Service principals can only have active assignments, not eligible ones.",
            ));
        }
        if eq(&principal_id, &group_id) {
            return Err(ApiError::bad_request(
                "A group cannot be a member or owner of itself.",
            ));
        }
        if matches!(body.action, A::SelfActivate | A::SelfDeactivate) && level == Level::Eligibility
        {
            return Err(ApiError::bad_request(format!(
                "The action '{}' is not supported on eligibilityScheduleRequests.",
                body.action
            )));
        }
        // scheduleInfo is required (digest §7), except to remove or deactivate (digest §11.9).
        if body.schedule_info.is_none()
            && !matches!(body.action, A::AdminRemove | A::SelfDeactivate)
        {
            return Err(ApiError::bad_request(format!(
                "scheduleInfo is required for the action '{}'.",
                body.action
            )));
        }
        Ok(Submission {
            level,
            target: Target::group(&group_id, body.access_id),
            principal_id,
            action: body.action,
            schedule_info: body.schedule_info,
            justification: body.justification,
            ticket_info: body.ticket_info,
            is_validation_only: body.is_validation_only == Some(true),
            custom_data: body.custom_data,
        })
    }

    // -- membership -----------------------------------------------------------------------------------------------

    /// The members (or owners) of a group now: those given outside PIM, then the principals of its active
    /// assignments and activations in effect (an eligibility gives neither). A schedule that ends takes its
    /// principal out at that instant.
    pub fn group_holders(&self, group_id: &str, access: AccessId, now: Dt) -> Vec<String> {
        let Some(g) = self.group(group_id) else {
            return vec![];
        };
        let standing = match access {
            AccessId::Owner => &g.owners,
            _ => &g.members,
        };
        let target = Target::group(&g.group.id, access);
        let mut out = standing.clone();
        for s in &self.schedules {
            if s.level == Level::Assignment
                && s.surface == Surface::Group
                && s.active(now)
                && eq(&s.directory_scope_id, &target.scope)
                && eq(&s.role_definition_id, &target.role)
                && !out.iter().any(|m| eq(m, &s.principal_id))
            {
                out.push(s.principal_id.clone());
            }
        }
        out
    }

    // -- rendering ------------------------------------------------------------------------------------------------

    pub fn render_group_request(&self, r: &UnifiedRoleScheduleRequest) -> GroupScheduleRequest {
        GroupScheduleRequest {
            id: r.id.clone(),
            status: r.status,
            created_date_time: r.created_date_time,
            completed_date_time: r.completed_date_time,
            approval_id: r.approval_id.clone(),
            custom_data: r.custom_data.clone(),
            created_by: r.created_by.clone(),
            action: r.action,
            is_validation_only: r.is_validation_only,
            justification: r.justification.clone(),
            schedule_info: r.schedule_info.clone(),
            ticket_info: r.ticket_info.clone(),
            access_id: access_of(&r.role_definition_id),
            principal_id: r.principal_id.clone(),
            group_id: r.directory_scope_id.clone().unwrap_or_default(),
            target_schedule_id: r.target_schedule_id.clone(),
        }
    }

    pub fn render_group_eligibility_schedule(&self, s: &Schedule) -> GroupEligibilitySchedule {
        GroupEligibilitySchedule {
            id: s.id.clone(),
            schedule_info: Some(super::schedule_info(s)),
            created_using: Some(s.created_using.clone()),
            created_date_time: Some(s.created),
            modified_date_time: s.modified,
            status: Some("Provisioned".into()),
            member_type: Some(MemberType::Direct),
            access_id: access_of(&s.role_definition_id),
            principal_id: s.principal_id.clone(),
            group_id: s.directory_scope_id.clone(),
            principal: None,
            group: None,
        }
    }

    pub fn render_group_assignment_schedule(&self, s: &Schedule) -> GroupAssignmentSchedule {
        GroupAssignmentSchedule {
            id: s.id.clone(),
            schedule_info: Some(super::schedule_info(s)),
            created_date_time: Some(s.created),
            modified_date_time: s.modified,
            created_using: (!s.outside_pim).then(|| s.created_using.clone()),
            status: Some("Provisioned".into()),
            access_id: access_of(&s.role_definition_id),
            principal_id: s.principal_id.clone(),
            group_id: s.directory_scope_id.clone(),
            member_type: Some(MemberType::Direct),
            assignment_type: s.assignment_type,
            principal: None,
            group: None,
        }
    }

    pub fn render_group_eligibility_instance(
        &self,
        s: &Schedule,
    ) -> GroupEligibilityScheduleInstance {
        GroupEligibilityScheduleInstance {
            id: s.instance_id(),
            start_date_time: Some(s.start),
            end_date_time: s.end,
            access_id: access_of(&s.role_definition_id),
            principal_id: s.principal_id.clone(),
            group_id: s.directory_scope_id.clone(),
            member_type: Some(MemberType::Direct),
            eligibility_schedule_id: None,
        }
    }

    pub fn render_group_assignment_instance(
        &self,
        s: &Schedule,
    ) -> GroupAssignmentScheduleInstance {
        GroupAssignmentScheduleInstance {
            id: s.instance_id(),
            start_date_time: Some(s.start),
            end_date_time: s.end,
            access_id: access_of(&s.role_definition_id),
            principal_id: s.principal_id.clone(),
            group_id: s.directory_scope_id.clone(),
            member_type: Some(MemberType::Direct),
            assignment_type: s.assignment_type,
            assignment_schedule_id: Some(s.id.clone()),
        }
    }
}

/// The access id a group schedule stores as its role.
fn access_of(role: &str) -> AccessId {
    AccessId::parse(role).unwrap_or(AccessId::UnknownFutureValue)
}
