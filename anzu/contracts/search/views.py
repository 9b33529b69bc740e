"""Pages of the lifecycle board (``/contracts/board/``) and contract search
(``/contracts/search/``), and the token-protected iCalendar feed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from anzu.common import clock
from anzu.common.errors import DomainError
from anzu.common.pagination import paginate
from anzu.contracts.search import access as search_access
from anzu.contracts.search import engine, ics, indexing, selectors, services
from anzu.contracts.search.choices import Bucket
from anzu.contracts.search.forms import ProjectFilterForm, RenewalForm, SearchForm
from anzu.contracts.search.lifecycle import BOARD_ORDER
from anzu.contracts.search.models import CalendarToken
from anzu.core import access
from anzu.core.forms import localized_message
from anzu.core.views import fetch, page_number, querystring_without_page, staff_view
from anzu.portfolio import access as portfolio_access

FEED_PAST_DAYS = 30
FEED_FUTURE_DAYS = 400
FEED_MAX_EVENTS = 2000


def _projects(user: Any) -> list[tuple[int, str]]:
    return list(
        portfolio_access.projects_for_user(user).order_by("code", "id").values_list("id", "name")
    )


def _project_filter(request: HttpRequest) -> tuple[ProjectFilterForm, int | None]:
    form = ProjectFilterForm(request.GET or None, projects=_projects(request.user))
    project_id = form.cleaned_data.get("project") if form.is_valid() else None
    return form, project_id


@staff_view()
def board(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    search_access.require_view(user)
    form, project_id = _project_filter(request)
    data = selectors.board(user, today=clock.today(), project_id=project_id)
    return render(
        request,
        "contract_search/board.html",
        {"form": form, "board": data, "qs": request.GET.urlencode()},
    )


@staff_view()
def bucket(request: HttpRequest, bucket: str) -> HttpResponse:
    user: Any = request.user
    search_access.require_view(user)
    if bucket not in Bucket.values:
        raise Http404
    form, project_id = _project_filter(request)
    today = clock.today()
    qs = selectors.bucket_queryset(user, bucket, today=today, project_id=project_id)
    page = paginate(selectors.rows_of(qs), page=page_number(request), page_size=50)
    return render(
        request,
        "contract_search/bucket.html",
        {
            "form": form,
            "bucket": Bucket(bucket),
            "buckets": BOARD_ORDER,
            "page": page,
            "rows": selectors.present_rows(user, page.items, today=today),
            "qs": querystring_without_page(request.GET),
            "can_renew": access.can(user, search_access.RENEWAL_CAPABILITY),
            "sees_amounts": access.sees_amounts(user),
            "renewal_form": RenewalForm(),
        },
    )


def _back(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse("contract_board:index")


@require_POST
@staff_view()
def renewal_mark(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    contract = fetch(search_access.contract_for_user, user, pk)
    form = RenewalForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a renewal status."))
        return redirect(_back(request))
    try:
        services.renewal_mark(
            contract=contract,
            state=form.cleaned_data["state"],
            note=form.cleaned_data["note"],
            by=user,
        )
    except DomainError as err:
        messages.error(request, localized_message(err))
    else:
        messages.success(request, _("Renewal status saved."))
    return redirect(_back(request))


@require_POST
@staff_view()
def renewal_lease(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    contract = fetch(search_access.contract_for_user, user, pk)
    try:
        renewal = services.renewal_draft_lease(contract=contract, by=user)
    except DomainError as err:
        messages.error(request, localized_message(err))
        return redirect(_back(request))
    if renewal.renewal_lease_id is None:
        messages.success(request, _("The renewal lease waits for approval."))
        return redirect(_back(request))
    messages.success(request, _("Draft renewal lease created."))
    return redirect("leasing:lease_detail", pk=renewal.renewal_lease_id)


@staff_view()
def calendar_page(request: HttpRequest) -> HttpResponse:
    """The personal expiry feed: issue a new URL (shown once) or revoke the current one."""
    user: Any = request.user
    search_access.require_view(user)
    new_url = ""
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            services.calendar_token_revoke(by=user)
            messages.success(request, _("The calendar link was revoked."))
        else:
            token = services.calendar_token_issue(by=user, language=translation.get_language())
            new_url = request.build_absolute_uri(
                reverse("contract_board:feed", kwargs={"token": token})
            )
    live = CalendarToken.objects.filter(user=user, revoked_at__isnull=True).first()
    return render(request, "contract_search/calendar.html", {"live": live, "new_url": new_url})


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The feed itself: no session; the token is the credential. Unknown or revoked → 404."""
    found = services.calendar_user(token)
    if found is None or not search_access.may_view(found[0]):
        raise Http404
    user, row = found
    today = clock.today()
    contracts = (
        search_access.contracts_for_user(user)
        .filter(
            terminated_on__isnull=True,
            end_date__gte=today - dt.timedelta(days=FEED_PAST_DAYS),
            end_date__lte=today + dt.timedelta(days=FEED_FUTURE_DAYS),
        )
        .select_related("unit", "project")
        .order_by("end_date", "pk")[:FEED_MAX_EVENTS]
    )
    host = request.get_host().split(":")[0] or "anzu"
    with translation.override(row.language):
        name = _("Contract expiries")
        events = []
        for contract in contracts:
            assert contract.end_date is not None
            unit = contract.unit.code if contract.unit is not None else ""
            summary = _("Contract ends: %(title)s") % {"title": contract.title}
            if unit:
                summary += f" ({unit})"
            description = "\n".join(
                part
                for part in (
                    f"{_('Lessee')}: {contract.lessee_name}" if contract.lessee_name else "",
                    f"{_('Project')}: {contract.project.name}"
                    if contract.project is not None
                    else "",
                    f"{_('Address')}: {contract.address}" if contract.address else "",
                )
                if part
            )
            events.append(
                ics.Event(
                    uid=f"contract-{contract.pk}-{contract.end_date:%Y%m%d}@{host}",
                    on=contract.end_date,
                    summary=summary,
                    description=description,
                )
            )
        body = ics.calendar(events, name=name, now=clock.now(), language=row.language)
    response = HttpResponse(body.encode("utf-8"), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="contract-expiries.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response


@staff_view()
def search(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    search_access.require_view(user)
    indexing.index_stale(access.org_id(user))
    sees_amounts = access.sees_amounts(user)
    form = SearchForm(request.GET or None, projects=_projects(user), sees_amounts=sees_amounts)
    result = None
    items: list[dict[str, Any]] = []
    status = 200
    if request.GET and form.is_valid():
        data = form.cleaned_data
        try:
            result = engine.search(
                user,
                query=data.get("q") or "",
                filters=engine.Filters(
                    project_id=data.get("project"),
                    status=data.get("status") or None,
                    risk_level=data.get("risk_level") or None,
                    rent_min=data.get("rent_min"),
                    rent_max=data.get("rent_max"),
                    expiring_within_days=data.get("expiring_within_days"),
                ),
                page=page_number(request),
            )
        except DomainError as err:
            form.add_domain_error(err)
            status = 422
        else:
            items = selectors.search_items(user, result, today=clock.today())
    elif form.errors:
        status = 422
    return render(
        request,
        "contract_search/search.html",
        {
            "form": form,
            "result": result,
            "items": items,
            "page": result,
            "pages": _pages(result),
            "qs": querystring_without_page(request.GET),
            "sees_amounts": sees_amounts,
            "sees_full_text": search_access.sees_full_text(user),
        },
        status=status,
    )


def _pages(result: engine.SearchResult | None) -> dict[str, Any]:
    if result is None:
        return {}
    pages = max(1, -(-result.total // result.page_size))
    return {
        "pages": pages,
        "has_previous": result.page > 1,
        "has_next": result.page < pages,
        "previous": result.page - 1,
        "next": result.page + 1,
    }
