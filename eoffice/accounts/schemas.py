"""JSON shapes of accounts objects in the API."""

from eoffice.accounts.models import Agency, Unit, User


def agency_json(agency: Agency) -> dict:
    return {"id": agency.id, "slug": agency.slug, "name": agency.name, "abbreviation": agency.abbreviation,
            "code": agency.code, "organization_in_charge": agency.organization_in_charge, "address": agency.address,
            "email": agency.email, "telephone": agency.telephone, "fax": agency.fax, "website": agency.website,
            "place": agency.place}


def unit_json(unit: Unit) -> dict:
    return {"id": unit.id, "name": unit.name, "abbreviation": unit.abbreviation, "parent_id": unit.parent_id}


def user_json(user: User) -> dict:
    return {"id": user.id, "username": user.username, "full_name": user.full_name, "position": user.position,
            "email": user.email, "unit_id": user.unit_id, "agency_id": user.agency_id, "roles": sorted(user.roles),
            "active": user.active, "locked": user.is_locked(),
            "last_login_at": user.last_login_at.isoformat() if user.last_login_at else None}
