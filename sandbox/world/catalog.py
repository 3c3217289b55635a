"""The world's fixed vocabulary: channels, stages, products, name pools."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Channel:
    key: str
    label: str            # LeadSource value
    campaign_type: str    # Salesforce Campaign.Type
    hs_source: str        # HubSpot hs_analytics_source
    platform: str         # hs_analytics_source_data_1
    weight: float         # share of first touches
    p_mql: float
    p_sql: float
    p_opp: float
    p_win: float
    d_mql: float          # mean days lead -> mql
    d_sql: float
    d_opp: float
    d_close: float
    monthly_budget: float  # per 5,000 people
    themes: tuple[str, ...]


CHANNELS: tuple[Channel, ...] = (
    Channel("paid_search", "Paid Search", "Paid Search", "PAID_SEARCH", "google", .18, .35, .40, .55, .25,
            7, 10, 7, 81, 9000, ("Brand Keywords", "Competitor Keywords", "Funnel Analytics")),
    Channel("paid_social", "Paid Social", "Paid Social", "PAID_SOCIAL", "linkedin", .14, .25, .30, .50, .20,
            10, 14, 8, 90, 7000, ("LinkedIn Lead Gen", "Retargeting", "Thought Leadership")),
    Channel("webinar", "Webinar", "Webinar", "OTHER_CAMPAIGNS", "zoom", .10, .45, .45, .60, .30,
            5, 10, 7, 81, 3000, ("Pipeline Analytics 101", "Attribution Deep Dive", "RevOps Roundtable")),
    Channel("content", "Content", "Content Syndication", "SOCIAL_MEDIA", "content", .12, .35, .35, .55, .25,
            12, 14, 10, 90, 4000, ("State of RevOps Report", "Funnel Benchmark Guide", "CFO Playbook")),
    Channel("email", "Email", "Email", "EMAIL_MARKETING", "hubspot", .10, .30, .35, .50, .25,
            14, 14, 10, 90, 1500, ("Nurture Track", "Product Newsletter", "Re-engagement")),
    Channel("event", "Event", "Conference", "OFFLINE", "booth", .08, .50, .50, .60, .30,
            4, 7, 7, 72, 12000, ("SaaStr Booth", "Regional Roadshow", "Customer Summit")),
    Channel("organic", "Organic Search", "Website", "ORGANIC_SEARCH", "google", .14, .30, .40, .55, .28,
            9, 12, 8, 81, 0, ("Website",)),
    Channel("referral", "Referral", "Referral Program", "REFERRALS", "referral", .08, .55, .60, .70, .40,
            3, 6, 5, 63, 1000, ("Customer Referrals",)),
    Channel("partner", "Partner", "Partners", "OTHER_CAMPAIGNS", "partner", .06, .50, .55, .65, .35,
            5, 8, 6, 72, 2500, ("Partner Co-Marketing", "Reseller Program")),
)
CHANNEL_BY_KEY = {c.key: c for c in CHANNELS}
CHANNEL_BY_TYPE = {c.campaign_type: c for c in CHANNELS}
#: channels of touches after the first one (nurture)
FOLLOWUP_CHANNELS = ("email", "webinar", "content", "event", "paid_social", "organic")
FOLLOWUP_WEIGHTS = (.35, .2, .2, .1, .1, .05)
EVENT_CHANNELS = ("webinar", "event")

LEAD_STATUSES = ("Open - Not Contacted", "Working - Contacted", "Marketing Qualified", "Sales Qualified",
                 "Closed - Converted", "Closed - Not Converted")

# Salesforce opportunity stages: (StageName, Probability %, ForecastCategory, ForecastCategoryName)
SF_OPEN_STAGES = (("Prospecting", 10, "Pipeline", "Pipeline"), ("Qualification", 20, "Pipeline", "Pipeline"),
                  ("Needs Analysis", 40, "Pipeline", "Pipeline"), ("Proposal/Price Quote", 60, "BestCase", "Best Case"),
                  ("Negotiation/Review", 80, "Forecast", "Commit"))
SF_WON = ("Closed Won", 100, "Closed", "Closed")
SF_LOST = ("Closed Lost", 0, "Omitted", "Omitted")

# HubSpot pipelines: id, label, stages (id, label, probability, isClosed)
HS_PIPELINES = (
    ("default", "Sales Pipeline", (
        ("appointmentscheduled", "Appointment Scheduled", "0.2", False),
        ("qualifiedtobuy", "Qualified to Buy", "0.4", False),
        ("presentationscheduled", "Presentation Scheduled", "0.6", False),
        ("decisionmakerboughtin", "Decision Maker Bought-In", "0.8", False),
        ("contractsent", "Contract Sent", "0.9", False),
        ("closedwon", "Closed Won", "1.0", True),
        ("closedlost", "Closed Lost", "0.0", True))),
    ("expansion", "Expansion Pipeline", (
        ("expansion_discovery", "Discovery", "0.3", False),
        ("expansion_proposal", "Proposal", "0.7", False),
        ("expansion_won", "Expansion Won", "1.0", True),
        ("expansion_lost", "Expansion Lost", "0.0", True))),
)

# Products: code, name, family, list price by segment (SMB, Mid-Market, Enterprise)
PRODUCTS = (
    ("FH-PLAT-S", "Funnelhouse Starter", "Platform", 6000),
    ("FH-PLAT-P", "Funnelhouse Professional", "Platform", 24000),
    ("FH-PLAT-E", "Funnelhouse Enterprise", "Platform", 90000),
    ("FH-ADD-AN", "Advanced Analytics", "Add-on", 5000),
    ("FH-ADD-INT", "Integrations Pack", "Add-on", 3000),
    ("FH-SVC-ONB", "Onboarding", "Services", 4000),
    ("FH-SVC-TRN", "Training", "Services", 1500),
)

SEGMENTS = ("SMB", "Mid-Market", "Enterprise")
REGIONS = ("NA", "EMEA", "APAC", "LATAM")
REGION_WEIGHTS = (.45, .30, .15, .10)
COUNTRIES = {"NA": ("United States", "Canada"),
             "EMEA": ("United Kingdom", "Germany", "France", "Netherlands", "Sweden"),
             "APAC": ("Australia", "Japan", "Singapore", "India"), "LATAM": ("Brazil", "Mexico", "Chile")}
INDUSTRIES = ("Software", "Financial Services", "Healthcare", "Manufacturing", "Retail", "Media", "Education",
              "Logistics")
COMPETITORS = ("Acme Analytics", "Globex Insights", "Initech BI", "Umbrella Data")
ROLES = ("Decision Maker", "Economic Buyer", "Technical Buyer", "Evaluator", "Influencer", "Business User")
LOST_REASONS = ("Price", "Competitor", "No decision", "Timing")
TITLES = ("VP Marketing", "Head of RevOps", "Marketing Manager", "Sales Operations Manager", "CFO", "Data Analyst",
          "Director of Demand Generation", "CRO", "Growth Lead", "BI Engineer")

FIRST_NAMES = ("James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "David", "Emma",
               "Oliver", "Sophia", "Liam", "Ava", "Noah", "Mia", "Lucas", "Chloe", "Ethan", "Grace", "Daniel",
               "Hannah", "Samuel", "Laura", "Thomas", "Anna", "Peter", "Sarah", "Mark", "Julia")
LAST_NAMES = ("Smith", "Johnson", "Brown", "Taylor", "Anderson", "Thomas", "Moore", "Martin", "Clark", "Lewis",
              "Walker", "Hall", "Young", "King", "Wright", "Scott", "Green", "Baker", "Adams", "Nelson", "Carter",
              "Mitchell", "Turner", "Parker", "Collins", "Edwards", "Stewart", "Morris", "Murphy", "Cook")
# (display name, ascii form for the email address)
UNICODE_FIRST = (("José", "jose"), ("Zoë", "zoe"), ("Łukasz", "lukasz"), ("Søren", "soren"), ("Björk", "bjork"),
                 ("Chloé", "chloe"), ("Ngọc", "ngoc"), ("Åsa", "asa"), ("François", "francois"), ("Dvořák", "dvorak"),
                 ("Ľubica", "lubica"), ("Hiroshi", "hiroshi"))
UNICODE_LAST = (("Müller", "muller"), ("Núñez", "nunez"), ("O'Brien", "obrien"), ("Sørensen", "sorensen"),
                ("Kowalczyk", "kowalczyk"), ("山田", "yamada"), ("Nguyễn", "nguyen"), ("Gonçalves", "goncalves"),
                ("Øberg", "oberg"), ("Dupré", "dupre"), ("Straße", "strasse"), ("Işık", "isik"))

COMPANY_WORDS_A = ("Blue", "North", "Bright", "Iron", "Silver", "Quantum", "Red", "Green", "Swift", "Clear", "Prime",
                   "Nova", "Alpha", "Delta", "Summit", "Harbor", "Cedar", "Polar", "Solar", "Urban")
COMPANY_WORDS_B = ("River", "Labs", "Works", "Systems", "Logic", "Cloud", "Data", "Peak", "Forge", "Bridge", "Wave",
                   "Stack", "Point", "Path", "Field", "Grid", "Sense", "Loop", "Hub", "Line")
COMPANY_SUFFIX = ("Inc.", "Ltd", "GmbH", "LLC", "S.A.", "AB", "Pty Ltd", "Corp.")
TLDS = ("com", "io", "co", "net", "ai")
