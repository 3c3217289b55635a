"""Salesforce object fields (name, type) in API order, and HubSpot property definitions."""

from __future__ import annotations

from .clock import NEW_FIELD_AT

_AUDIT = [("CreatedDate", "datetime"), ("LastModifiedDate", "datetime"), ("SystemModstamp", "datetime")]

SF_FIELDS: dict[str, list[tuple[str, str]]] = {
    "UserRole": [("Id", "id"), ("Name", "string"), ("DeveloperName", "string"), ("ParentRoleId", "reference:UserRole"),
                 ("RollupDescription", "string"), ("LastModifiedDate", "datetime"), ("SystemModstamp", "datetime")],
    "User": [("Id", "id"), ("Username", "string"), ("FirstName", "string"), ("LastName", "string"), ("Name", "string"),
             ("Email", "email"), ("IsActive", "boolean"), ("UserRoleId", "reference:UserRole"), ("Title", "string"),
             ("Department", "string"), ("ManagerId", "reference:User"), *_AUDIT, ("Region__c", "picklist")],
    "Account": [("Id", "id"), ("IsDeleted", "boolean"), ("Name", "string"), ("Type", "picklist"),
                ("Industry", "picklist"), ("NumberOfEmployees", "int"), ("AnnualRevenue", "currency"),
                ("Website", "url"), ("BillingCountry", "string"), ("OwnerId", "reference:User"), *_AUDIT,
                ("Segment__c", "picklist"), ("Region__c", "picklist"), ("Partner_Tier__c", "picklist")],
    "Lead": [("Id", "id"), ("IsDeleted", "boolean"), ("MasterRecordId", "reference:Lead"), ("FirstName", "string"),
             ("LastName", "string"), ("Name", "string"), ("Title", "string"), ("Company", "string"), ("Email", "email"),
             ("Phone", "phone"), ("Country", "string"), ("Industry", "picklist"), ("NumberOfEmployees", "int"),
             ("Website", "url"), ("LeadSource", "picklist"), ("Status", "picklist"), ("OwnerId", "reference:User"),
             ("IsConverted", "boolean"), ("ConvertedDate", "date"), ("ConvertedAccountId", "reference:Account"),
             ("ConvertedContactId", "reference:Contact"), ("ConvertedOpportunityId", "reference:Opportunity"),
             *_AUDIT, ("Segment__c", "picklist"), ("Region__c", "picklist")],
    "Contact": [("Id", "id"), ("IsDeleted", "boolean"), ("MasterRecordId", "reference:Contact"),
                ("AccountId", "reference:Account"), ("FirstName", "string"), ("LastName", "string"), ("Name", "string"),
                ("Title", "string"), ("Email", "email"), ("Phone", "phone"), ("MailingCountry", "string"),
                ("LeadSource", "picklist"), ("OwnerId", "reference:User"), *_AUDIT, ("Segment__c", "picklist"),
                ("Region__c", "picklist")],
    "Opportunity": [("Id", "id"), ("IsDeleted", "boolean"), ("AccountId", "reference:Account"), ("Name", "string"),
                    ("Type", "picklist"), ("StageName", "picklist"), ("Probability", "percent"),
                    ("Amount", "currency"), ("ExpectedRevenue", "currency"), ("CloseDate", "date"),
                    ("IsClosed", "boolean"), ("IsWon", "boolean"), ("ForecastCategory", "picklist"),
                    ("ForecastCategoryName", "picklist"), ("LeadSource", "picklist"),
                    ("CampaignId", "reference:Campaign"), ("OwnerId", "reference:User"),
                    ("ContactId", "reference:Contact"), ("CurrencyIsoCode", "picklist"), *_AUDIT,
                    ("Competitor__c", "picklist"), ("Region__c", "picklist"), ("Segment__c", "picklist")],
    "OpportunityHistory": [("Id", "id"), ("IsDeleted", "boolean"), ("OpportunityId", "reference:Opportunity"),
                           ("StageName", "picklist"), ("Amount", "currency"), ("CloseDate", "date"),
                           ("Probability", "percent"), ("ExpectedRevenue", "currency"),
                           ("ForecastCategory", "picklist"), ("CreatedById", "reference:User"),
                           ("CreatedDate", "datetime"), ("SystemModstamp", "datetime")],
    "OpportunityContactRole": [("Id", "id"), ("IsDeleted", "boolean"), ("OpportunityId", "reference:Opportunity"),
                               ("ContactId", "reference:Contact"), ("Role", "picklist"), ("IsPrimary", "boolean"),
                               *_AUDIT],
    "OpportunityLineItem": [("Id", "id"), ("IsDeleted", "boolean"), ("OpportunityId", "reference:Opportunity"),
                            ("Product2Id", "reference:Product2"), ("PricebookEntryId", "reference:PricebookEntry"),
                            ("Name", "string"), ("ProductCode", "string"), ("Quantity", "double"),
                            ("UnitPrice", "currency"), ("ListPrice", "currency"), ("TotalPrice", "currency"),
                            ("ServiceDate", "date"), *_AUDIT],
    "Product2": [("Id", "id"), ("IsDeleted", "boolean"), ("Name", "string"), ("ProductCode", "string"),
                 ("Family", "picklist"), ("IsActive", "boolean"), ("Description", "textarea"), *_AUDIT],
    "Campaign": [("Id", "id"), ("IsDeleted", "boolean"), ("Name", "string"), ("Type", "picklist"),
                 ("Status", "picklist"), ("IsActive", "boolean"), ("StartDate", "date"), ("EndDate", "date"),
                 ("BudgetedCost", "currency"), ("ActualCost", "currency"), ("ExpectedRevenue", "currency"),
                 ("NumberSent", "double"), ("ParentId", "reference:Campaign"), ("OwnerId", "reference:User"), *_AUDIT],
    "CampaignMember": [("Id", "id"), ("IsDeleted", "boolean"), ("CampaignId", "reference:Campaign"),
                       ("LeadId", "reference:Lead"), ("ContactId", "reference:Contact"),
                       ("LeadOrContactId", "reference:Lead,Contact"), ("Status", "picklist"),
                       ("HasResponded", "boolean"), ("FirstRespondedDate", "date"), *_AUDIT],
    "LeadHistory": [("Id", "id"), ("IsDeleted", "boolean"), ("LeadId", "reference:Lead"), ("Field", "picklist"),
                    ("DataType", "picklist"), ("OldValue", "anyType"), ("NewValue", "anyType"),
                    ("CreatedById", "reference:User"), ("CreatedDate", "datetime")],
    "Task": [("Id", "id"), ("IsDeleted", "boolean"), ("WhoId", "reference:Lead,Contact"),
             ("WhatId", "reference:Opportunity,Account"), ("AccountId", "reference:Account"), ("Subject", "combobox"),
             ("Type", "picklist"), ("TaskSubtype", "picklist"), ("Status", "picklist"), ("Priority", "picklist"),
             ("IsClosed", "boolean"), ("ActivityDate", "date"), ("CallType", "picklist"),
             ("CallDurationInSeconds", "int"), ("CallDisposition", "string"), ("OwnerId", "reference:User"),
             ("IsArchived", "boolean"), *_AUDIT],
    "Event": [("Id", "id"), ("IsDeleted", "boolean"), ("WhoId", "reference:Lead,Contact"),
              ("WhatId", "reference:Opportunity,Account"), ("AccountId", "reference:Account"), ("Subject", "combobox"),
              ("Type", "picklist"), ("EventSubtype", "picklist"), ("ActivityDate", "date"),
              ("ActivityDateTime", "datetime"), ("StartDateTime", "datetime"), ("EndDateTime", "datetime"),
              ("DurationInMinutes", "int"), ("IsAllDayEvent", "boolean"), ("OwnerId", "reference:User"),
              ("IsArchived", "boolean"), *_AUDIT],
}
SF_OBJECTS = tuple(SF_FIELDS)
LABELS = {"OpportunityContactRole": "Opportunity Contact Role", "OpportunityLineItem": "Opportunity Product",
          "Product2": "Product", "CampaignMember": "Campaign Member", "LeadHistory": "Lead History",
          "OpportunityHistory": "Opportunity History", "UserRole": "Role"}
#: custom fields that exist only from a given instant on
FIELD_SINCE = {("Account", "Partner_Tier__c"): NEW_FIELD_AT}


def sf_fields(obj: str, clock: int) -> list[tuple[str, str]]:
    return [(n, t) for n, t in SF_FIELDS[obj] if FIELD_SINCE.get((obj, n), 0) <= clock]


_HS_COMMON_DT = {"createdate", "lastmodifieddate", "hs_lastmodifieddate", "hs_createdate", "hs_timestamp"}
HS_DATETIME_PROPS = _HS_COMMON_DT | {
    "hs_lifecyclestage_subscriber_date", "hs_lifecyclestage_lead_date", "hs_lifecyclestage_marketingqualifiedlead_date",
    "hs_lifecyclestage_salesqualifiedlead_date", "hs_lifecyclestage_opportunity_date",
    "hs_lifecyclestage_customer_date", "first_conversion_date", "recent_conversion_date",
    "hs_analytics_last_visit_timestamp", "hs_email_last_open_date", "hs_email_last_click_date", "closedate",
    "hs_meeting_start_time", "hs_meeting_end_time"}
HS_NUMBER_PROPS = {"amount", "amount_in_home_currency", "quantity", "price", "numberofemployees", "annualrevenue",
                   "num_conversion_events",
                   "hs_analytics_num_page_views", "hs_analytics_num_visits", "hs_email_open", "hs_email_click",
                   "hs_call_duration", "hs_email_open_count", "hs_email_click_count", "hs_email_reply_count",
                   "hs_deal_stage_probability", "hs_object_id"}

HS_PROPERTIES: dict[str, list[str]] = {
    "contacts": ["email", "firstname", "lastname", "jobtitle", "phone", "company", "country", "lifecyclestage",
                 "hs_lead_status", "hubspot_owner_id", "associatedcompanyid", "hs_analytics_source",
                 "hs_analytics_source_data_1", "hs_analytics_source_data_2", "first_conversion_event_name",
                 "first_conversion_date", "recent_conversion_event_name", "recent_conversion_date",
                 "num_conversion_events", "hs_analytics_num_page_views", "hs_analytics_num_visits",
                 "hs_analytics_last_visit_timestamp", "hs_email_open", "hs_email_click", "hs_email_last_open_date",
                 "hs_email_last_click_date", "hs_lifecyclestage_subscriber_date", "hs_lifecyclestage_lead_date",
                 "hs_lifecyclestage_marketingqualifiedlead_date", "hs_lifecyclestage_salesqualifiedlead_date",
                 "hs_lifecyclestage_opportunity_date", "hs_lifecyclestage_customer_date", "hs_merged_object_ids",
                 "hs_additional_emails", "fh_segment", "createdate", "lastmodifieddate", "hs_object_id"],
    "companies": ["name", "domain", "industry", "numberofemployees", "annualrevenue", "country", "lifecyclestage",
                  "hubspot_owner_id", "fh_segment", "fh_region", "fh_partner_tier", "createdate",
                  "hs_lastmodifieddate", "hs_object_id", "hs_merged_object_ids"],
    "deals": ["dealname", "pipeline", "dealstage", "amount", "closedate", "createdate", "hs_lastmodifieddate",
              "hubspot_owner_id", "dealtype", "hs_deal_stage_probability", "hs_is_closed", "hs_is_closed_won",
              "deal_currency_code", "amount_in_home_currency", "closed_lost_reason", "fh_competitor", "fh_region",
              "hs_object_id", "hs_merged_object_ids"],
    "line_items": ["name", "hs_product_id", "hs_sku", "quantity", "price", "amount", "fh_product_family",
                   "createdate", "hs_lastmodifieddate", "hs_object_id"],
    "calls": ["hs_timestamp", "hs_call_title", "hs_call_body", "hs_call_direction", "hs_call_status",
              "hs_call_duration", "hs_call_disposition", "hubspot_owner_id", "hs_createdate", "hs_lastmodifieddate",
              "hs_object_id"],
    "emails": ["hs_timestamp", "hs_email_subject", "hs_email_direction", "hs_email_status", "hs_email_open_count",
               "hs_email_click_count", "hs_email_reply_count", "hubspot_owner_id", "hs_createdate",
               "hs_lastmodifieddate", "hs_object_id"],
    "meetings": ["hs_timestamp", "hs_meeting_title", "hs_meeting_start_time", "hs_meeting_end_time",
                 "hs_meeting_outcome", "hubspot_owner_id", "hs_createdate", "hs_lastmodifieddate", "hs_object_id"],
}
HS_OBJECT_TYPES = tuple(HS_PROPERTIES)
HS_CUSTOM = {"fh_segment", "fh_region", "fh_partner_tier", "fh_competitor", "fh_product_family"}
HS_PROP_SINCE = {("companies", "fh_partner_tier"): NEW_FIELD_AT}
#: properties whose history is kept (propertiesWithHistory)
HS_HISTORY = {"contacts": ("lifecyclestage", "recent_conversion_event_name", "hs_lead_status", "hubspot_owner_id"),
              "deals": ("dealstage", "amount", "closedate", "hs_merged_object_ids"),
              "companies": ("hs_merged_object_ids",)}
#: objects whose records carry `propertiesWithHistory` only when a tracked property was ever set
HS_HISTORY_WHEN_SET = {"companies"}
HS_MODIFIED_PROP = {"contacts": "lastmodifieddate"}
HS_DEFAULT_PROPS = {"contacts": ("createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"),
                    "companies": ("createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"),
                    "deals": ("amount", "closedate", "createdate", "dealname", "dealstage", "hs_lastmodifieddate",
                              "hs_object_id", "pipeline"),
                    "line_items": ("createdate", "hs_lastmodifieddate", "hs_object_id", "name", "price", "quantity"),
                    "calls": ("hs_createdate", "hs_lastmodifieddate", "hs_object_id"),
                    "emails": ("hs_createdate", "hs_lastmodifieddate", "hs_object_id"),
                    "meetings": ("hs_createdate", "hs_lastmodifieddate", "hs_object_id")}


def hs_modified_prop(object_type: str) -> str:
    return HS_MODIFIED_PROP.get(object_type, "hs_lastmodifieddate")


def hs_created_prop(object_type: str) -> str:
    return "hs_createdate" if object_type in ("calls", "emails", "meetings") else "createdate"

#: HubSpot association type ids (HUBSPOT_DEFINED): (from, to) -> typeId, both directions
ASSOC_TYPES = {
    ("contacts", "companies"): 279, ("companies", "contacts"): 280, ("deals", "contacts"): 3,
    ("contacts", "deals"): 4, ("deals", "companies"): 341, ("companies", "deals"): 342,
    ("deals", "line_items"): 19, ("line_items", "deals"): 20, ("contacts", "calls"): 193,
    ("calls", "contacts"): 194, ("contacts", "emails"): 197, ("emails", "contacts"): 198,
    ("contacts", "meetings"): 199, ("meetings", "contacts"): 200, ("deals", "calls"): 205,
    ("calls", "deals"): 206, ("deals", "emails"): 209, ("emails", "deals"): 210, ("deals", "meetings"): 211,
    ("meetings", "deals"): 212,
}
