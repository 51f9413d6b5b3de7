"""The GET routes of the access matrix: name → URL built from the world."""

from __future__ import annotations

from marketplace.listings.models import ListingKind

L = ListingKind

GET_ROUTES = {
    # public market and listings
    "home": lambda w: "/",
    "statistics": lambda w: "/statistics",
    "listings.browse": lambda w: "/listings",
    "listings.browse_pledge": lambda w: "/listings?kind=pledge",
    **{f"listings.detail[{k.value}]": lambda w, k=k: f"/listings/{w['listing'][k].id}" for k in L},
    "listings.detail[draft]": lambda w: f"/listings/{w['draft'].id}",
    "listings.edit[draft]": lambda w: f"/listings/{w['draft'].id}/edit",
    "listings.edit[published]": lambda w: f"/listings/{w['listing'][L.transfer].id}/edit",
    "listings.publish[draft]": lambda w: f"/listings/{w['draft'].id}/publish",
    "listings.withdraw[published]": lambda w: f"/listings/{w['listing'][L.transfer].id}/withdraw",
    "listings.mine": lambda w: "/listings/mine",
    "listings.new": lambda w: "/listings/new",
    "deals.accept": lambda w: f"/listings/{w['listing'][L.open_licence].id}/accept",
    "deals.propose": lambda w: f"/listings/{w['listing'][L.licence].id}/propose",
    "inquiries.ask": lambda w: f"/listings/{w['listing'][L.licence].id}/inquire",
    # search and demands
    "search.page": lambda w: "/search?q=矩阵",
    "api.search_api": lambda w: "/api/v1/search?q=矩阵",
    "search.saved_list": lambda w: "/search/saved",
    "demands.mine": lambda w: "/demands/",
    "demands.new": lambda w: "/demands/new",
    "demands.detail": lambda w: f"/demands/{w['demand'].id}",
    "demands.edit": lambda w: f"/demands/{w['demand'].id}/edit",
    "demands.answers": lambda w: "/demands/answers",
    "demands.for_listing": lambda w: f"/demands/for-listing/{w['listing'][L.licence].id}",
    # patents
    "patents.detail[listed]": lambda w: f"/patents/{w['listed_patent'].id}",
    "patents.detail[unlisted]": lambda w: f"/patents/{w['unlisted_patent'].id}",
    "patents.detail[pledged]": lambda w: f"/patents/{w['pledge_patent'].id}",
    "patents.edit": lambda w: f"/patents/{w['unlisted_patent'].id}/edit",
    "patents.mine": lambda w: "/patents/mine",
    "patents.new": lambda w: "/patents/new",
    "finance.valuation[unlisted]": lambda w: f"/patents/{w['unlisted_patent'].id}/valuation",
    "finance.valuation[pledged]": lambda w: f"/patents/{w['pledge_patent'].id}/valuation",
    "patent_import.start": lambda w: "/patents/import",
    "patent_import.job": lambda w: f"/patents/import/{w['job'].id}",
    "patent_import.status": lambda w: f"/patents/import/{w['job'].id}/status",
    "patent_import.report_csv": lambda w: f"/patents/import/{w['job'].id}/report.csv",
    # deals and inquiries
    "deals.my_deals": lambda w: "/deals",
    **{f"deals.detail[{k}]": lambda w, k=k: f"/deals/{w['deal_id'][k]}"
       for k in ("open_licence", "licence", "transfer", "equity")},
    "deals.record": lambda w: f"/deals/{w['deal_id']['transfer']}/record",
    "deals.document": lambda w: f"/deals/{w['deal_id']['transfer']}/documents/{w['deal_doc'].id}",
    "deals.document[other deal's]": lambda w: f"/deals/{w['deal_id']['transfer']}/documents/{w['other_deal_doc'].id}",
    "inquiries.inbox": lambda w: "/inquiries",
    "inquiries.thread": lambda w: f"/inquiries/{w['thread'].id}",
    # finance
    "finance.my_requests": lambda w: "/finance/",
    "finance.new_request": lambda w: "/finance/requests/new",
    "finance.request_detail[a]": lambda w: f"/finance/requests/{w['request_a'].id}",
    "finance.request_detail[b]": lambda w: f"/finance/requests/{w['request_b'].id}",
    "finance.document": lambda w: f"/finance/requests/{w['request_a'].id}/documents/{w['pledge_doc'].id}",
    "finance.document[other request's]": lambda w: f"/finance/requests/{w['request_b'].id}/documents/{w['pledge_doc'].id}",
    "finance.review_queue": lambda w: "/finance/reviews",
    "finance.review_detail[a]": lambda w: f"/finance/reviews/{w['review_a'].id}",
    "finance.review_detail[b]": lambda w: f"/finance/reviews/{w['review_b'].id}",
    "finance.appraisals": lambda w: "/finance/appraisals",
    "finance.appraisal_report": lambda w: f"/finance/appraisals/{w['appraisal'].id}/report",
    "finance.insurance_home": lambda w: "/finance/insurance",
    "finance.new_quote": lambda w: "/finance/insurance/quotes/new",
    "finance.new_policy": lambda w: "/finance/insurance/policies/new",
    "finance.new_policy[quote]": lambda w: f"/finance/insurance/policies/new?quote={w['quote'].id}",
    "finance.policy_detail": lambda w: f"/finance/insurance/policies/{w['policy'].id}",
    # accounts, notifications, dashboard
    "main.dashboard": lambda w: "/dashboard",
    "notify.inbox": lambda w: "/notifications/",
    "accounts.my_org": lambda w: "/org",
    "accounts.profile": lambda w: "/account/profile",
    # operator
    "accounts.operator_orgs": lambda w: "/operator/organisations",
    "accounts.operator_org": lambda w: f"/operator/organisations/{w['unverified'].organization_id}",
    "accounts.operator_users": lambda w: "/operator/users",
    "ledger.index": lambda w: "/operator/ledger",
    "ledger.export_csv": lambda w: "/operator/ledger.csv",
    "indicators.dashboard": lambda w: "/operator/indicators",
    "indicators.drilldown": lambda w: "/operator/indicators/pledge_loan_amount",
    "indicators.trend_data": lambda w: "/operator/indicators/trend.json",
    "indicators.values": lambda w: "/operator/indicators/values",
    "indicators.report_page": lambda w: "/operator/indicators/report",
    "indicators.report_csv": lambda w: "/operator/indicators/report.csv",
    "indicators.report_xlsx": lambda w: "/operator/indicators/report.xlsx",
}
