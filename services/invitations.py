"""Invitations of existing accounts into an organisation: the account's owner accepts or declines.

Threat (docs/security.md, "Invitations"): an organisation administrator who could add any existing
account by name attached another tenant's user without their consent, and the member list then showed
that person's display name, e-mail address and last sign-in to the inviting tenant; the answer also told
whether a name existed. Now:

* :func:`invite_member` answers the same whatever the name (no such account, already a member, already
  invited, invited now): the inviting tenant learns nothing about accounts outside it.
* The invitee sees their pending invitations (:func:`my_invitations`: organisation, role, who invited)
  on the Account page or with ``aigov users invitations``, and :func:`answer_invitation` accepts (the
  membership is made then) or declines; either way the invitation is gone.
* Platform administrators, who administer every account, still attach accounts directly
  (:func:`services.members.add_member`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from db.engine import ORG_ADMINS_LOCK, read_session, serialise, write_session
from db.models import Membership, Organisation, OrganisationInvitation, User
from enums import OrgRole
from services.access import Actor
from services.accounts import find_user
from services.audit import log_admin_event
from services.errors import Forbidden, NotFound
from services.members import check_role
from services.organisations import organisation_row


@dataclass(frozen=True)
class InvitationView:
    id: int
    organisation_id: int
    organisation_name: str
    role: OrgRole
    invited_by: str | None  # the inviting administrator's user name
    created_at: datetime


def invite_member(engine: Engine, actor: Actor, org_id: int, username: str, role: str) -> None:
    """Invite the account named ``username`` into the organisation with ``role`` (organisation administrators).

    Returns nothing and raises nothing about the name: an unknown name, a member, a pending invitation
    (its role is updated) and a new invitation all look the same to the caller.
    """
    org_role = check_role(role)  # ``role`` is the page's or command's text, checked here
    actor.require_org_admin(org_id)
    try:
        with write_session(engine) as s:
            serialise(s, ORG_ADMINS_LOCK, org_id)
            organisation_row(s, org_id)
            user = find_user(s, username)
            if user is None or not user.is_active or s.get(Membership, (user.id, org_id)) is not None:
                return
            pending = s.scalars(select(OrganisationInvitation).where(
                OrganisationInvitation.organisation_id == org_id, OrganisationInvitation.user_id == user.id)).first()
            if pending is None:
                s.add(OrganisationInvitation(organisation_id=org_id, user_id=user.id, role=org_role,
                                             invited_by=actor.user_id))
            else:
                pending.role = org_role
            log_admin_event(s, actor, "member_invited", "organisation", org_id, user=user.username, role=org_role)
    except IntegrityError:  # the same invitation written at the same moment: it exists, which is the point
        return


def my_invitations(engine: Engine, actor: Actor) -> list[InvitationView]:
    """The signed-in account's pending invitations, newest first."""
    if actor.user_id is None:
        return []
    with read_session(engine) as s:
        rows = s.execute(select(OrganisationInvitation, Organisation.name, User.username)
                         .join(Organisation, Organisation.id == OrganisationInvitation.organisation_id)
                         .outerjoin(User, User.id == OrganisationInvitation.invited_by)
                         .where(OrganisationInvitation.user_id == actor.user_id)
                         .order_by(OrganisationInvitation.created_at.desc(), OrganisationInvitation.id.desc()))
        return [InvitationView(i.id, i.organisation_id, name, OrgRole(i.role), inviter, i.created_at)
                for i, name, inviter in rows]


def answer_invitation(engine: Engine, actor: Actor, invitation_id: int, *, accept: bool) -> None:
    """Accept (become a member with the invited role) or decline one's own invitation.

    Anyone else's invitation, or one already answered, is NotFound.
    """
    if actor.user_id is None:
        raise Forbidden()
    with write_session(engine) as s:
        invitation = s.get(OrganisationInvitation, invitation_id)
        if invitation is None or invitation.user_id != actor.user_id:
            raise NotFound(object="invitation", id=invitation_id)
        org_id, role = invitation.organisation_id, invitation.role
        serialise(s, ORG_ADMINS_LOCK, org_id)
        s.delete(invitation)
        if accept and s.get(Membership, (actor.user_id, org_id)) is None:
            s.add(Membership(user_id=actor.user_id, organisation_id=org_id, role=role))
        log_admin_event(s, actor, "invitation_accepted" if accept else "invitation_declined", "organisation",
                        org_id, user=actor.username, role=role)
