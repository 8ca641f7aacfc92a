<#--
  ml-connector export template (FreeMarker, rendered by the Expensify Integration Server).

  Output: a JSON array with one object per report, in the order of `reports`:
    reportID, reportName, policyID, policyName, status, currency, total, created, submitted, approved,
    accountEmail, managerEmail, submitterFullName, transactionList
  and in each report `transactionList`: an array with one object per expense, in the order of
  `report.transactionList`:
    transactionID, amount, currency, convertedAmount, currencyConversionRate, modifiedAmount, merchant,
    modifiedMerchant, created, modifiedCreated, category, categoryGlCode, tag, tagGlCode, ntag1, ntag1GlCode,
    ntag2, ntag2GlCode, ntag3, ntag3GlCode, comment, reimbursable, billable, receiptURL, type
  Every key is always present.

  The one rule: the template never fails on how Expensify represents a value, and never interprets it.
  Any field may arrive absent, null, "", 0, a number, text, true/false, or (wrongly) a list or an object;
  each is written by one of three functions that test the value's type and content first:
    txt(v)  text fields        no content (absent, null, "")  -> null
                               text                           -> "…" escaped with ?json_string
                               number                         -> "…" digits with ?c (a GL code 6010 -> "6010")
                               true/false                     -> "true" / "false" (?c)
    amt(v)  amounts, total,    no content                     -> null
            conversion rate    number                         -> the number with ?c (0 stays 0, -1250 stays -1250)
                               text / true/false              -> "…" (the connector reports it as not a number)
    flag(v) reimbursable,      no content                     -> null
            billable           true/false                     -> true / false (?c)
                               number / text                  -> "…" (the connector decides: "true"/"false", 1/0)
  Anything else (a list, an object, a date object) -> {"unsupported":true}, so the connector holds the
  report with an exception naming the record and field instead of the whole export failing.
  Meaning is the connector's business (Sources/ConnectorCore/ExpensifyExport.swift): there, a null
  modifiedAmount and a modifiedAmount of 0 both mean "not modified", "" or "0" in modifiedMerchant and
  modifiedCreated mean "not edited", and the amount rule is convertedAmount, then modifiedAmount, then amount.

  Further rules (each one prevents an invalid or lossy export):
  1. Root is `reports` (not `reportList`); expenses are `report.transactionList`. `addHeader` is ignored:
     JSON has no header row.
  2. Numbers only through ?c, never a bare ${n}: the server locale would add grouping separators
     ("1,234"). Amounts are integer cents ("hundredths") exactly as Expensify sends them, whatever the
     currency (JPY too), negative for refunds; the template never divides by 100.
  3. Booleans only through ?c, so they are JSON true/false.
  4. Nested values are read only from a hash: receiptURL from receiptObject.url (receiptObject may be
     absent, "", {} or a hash), submitterFullName from submitter.fullName. Anything else gives null.
  5. A transactionList that is absent, null, "" or empty gives []; one that is not a list, or an item of it
     that is not a hash, gives {"unsupported":true}.
  6. Separators come from ?has_next, so empty lists and single items give valid JSON (no trailing commas).
  7. Values are passed as `(a.b)!` (the empty default when the value or its parent is missing).

  Only these features are used (the sandbox's simulator supports them, tested against Apache FreeMarker
  2.3.31): #function/#return, #list, #if/#elseif/#else, comments, ${}, !, ??, ?c, ?json_string,
  ?has_next, ?has_content, ?is_string, ?is_number, ?is_boolean, ?is_hash, ?is_enumerable.
-->
<#function txt v>
  <#if !v?has_content><#return "null"></#if>
  <#if v?is_string><#return "\"" + v?json_string + "\""></#if>
  <#if v?is_number || v?is_boolean><#return "\"" + v?c + "\""></#if>
  <#return "{\"unsupported\":true}">
</#function>
<#function amt v>
  <#if !v?has_content><#return "null"></#if>
  <#if v?is_number><#return v?c></#if>
  <#if v?is_string><#return "\"" + v?json_string + "\""></#if>
  <#if v?is_boolean><#return "\"" + v?c + "\""></#if>
  <#return "{\"unsupported\":true}">
</#function>
<#function flag v>
  <#if !v?has_content><#return "null"></#if>
  <#if v?is_boolean><#return v?c></#if>
  <#if v?is_string><#return "\"" + v?json_string + "\""></#if>
  <#if v?is_number><#return "\"" + v?c + "\""></#if>
  <#return "{\"unsupported\":true}">
</#function>
[
<#list reports as report>
  {
    "reportID": ${txt((report.reportID)!)},
    "reportName": ${txt((report.reportName)!)},
    "policyID": ${txt((report.policyID)!)},
    "policyName": ${txt((report.policyName)!)},
    "status": ${txt((report.status)!)},
    "currency": ${txt((report.currency)!)},
    "total": ${amt((report.total)!)},
    "created": ${txt((report.created)!)},
    "submitted": ${txt((report.submitted)!)},
    "approved": ${txt((report.approved)!)},
    "accountEmail": ${txt((report.accountEmail)!)},
    "managerEmail": ${txt((report.managerEmail)!)},
    "submitterFullName": <#if (report.submitter)?? && report.submitter?is_hash>${txt((report.submitter.fullName)!)}<#else>null</#if>,
<#if !(report.transactionList)?has_content>
    "transactionList": []
<#elseif !report.transactionList?is_enumerable>
    "transactionList": {"unsupported":true}
<#else>
    "transactionList": [
<#list report.transactionList as expense>
<#if !(expense?? && expense?is_hash)>
      {"unsupported":true}<#if expense?has_next>,</#if>
<#else>
      {
        "transactionID": ${txt((expense.transactionID)!)},
        "amount": ${amt((expense.amount)!)},
        "currency": ${txt((expense.currency)!)},
        "convertedAmount": ${amt((expense.convertedAmount)!)},
        "currencyConversionRate": ${amt((expense.currencyConversionRate)!)},
        "modifiedAmount": ${amt((expense.modifiedAmount)!)},
        "merchant": ${txt((expense.merchant)!)},
        "modifiedMerchant": ${txt((expense.modifiedMerchant)!)},
        "created": ${txt((expense.created)!)},
        "modifiedCreated": ${txt((expense.modifiedCreated)!)},
        "category": ${txt((expense.category)!)},
        "categoryGlCode": ${txt((expense.categoryGlCode)!)},
        "tag": ${txt((expense.tag)!)},
        "tagGlCode": ${txt((expense.tagGlCode)!)},
        "ntag1": ${txt((expense.ntag1)!)},
        "ntag1GlCode": ${txt((expense.ntag1GlCode)!)},
        "ntag2": ${txt((expense.ntag2)!)},
        "ntag2GlCode": ${txt((expense.ntag2GlCode)!)},
        "ntag3": ${txt((expense.ntag3)!)},
        "ntag3GlCode": ${txt((expense.ntag3GlCode)!)},
        "comment": ${txt((expense.comment)!)},
        "reimbursable": ${flag((expense.reimbursable)!)},
        "billable": ${flag((expense.billable)!)},
        "receiptURL": <#if (expense.receiptObject)?? && expense.receiptObject?is_hash>${txt((expense.receiptObject.url)!)}<#else>null</#if>,
        "type": ${txt((expense.type)!)}
      }<#if expense?has_next>,</#if>
</#if>
</#list>
    ]
</#if>
  }<#if report?has_next>,</#if>
</#list>
]
