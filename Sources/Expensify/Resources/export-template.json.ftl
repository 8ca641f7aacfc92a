<#--
  ml-connector export template (FreeMarker, rendered by the Expensify Integration Server).

  Output: a JSON array with one object per report, in the order of `reports`:
    reportID, reportName, policyID, policyName, status, currency, total, created, submitted, approved,
    accountEmail, managerEmail, submitterFullName, transactionList
  and in each report `transactionList`: an array with one object per expense, in the order of
  `report.transactionList`:
    transactionID, amount, currency, convertedAmount, modifiedAmount, merchant, modifiedMerchant, created,
    modifiedCreated, category, categoryGlCode, tag, tagGlCode, ntag1, ntag1GlCode, ntag2, ntag2GlCode,
    ntag3, ntag3GlCode, comment, reimbursable, billable, receiptURL, type
  Every key is always present.

  Rules (each one prevents an invalid or lossy export):
  1. Root is `reports` (not `reportList`); expenses are `report.transactionList`. `addHeader` is ignored:
     JSON has no header row.
  2. Strings: "${(x!"")?json_string}" - always inside double quotes and escaped with ?json_string, so
     quotes, backslashes, newlines, tabs, control characters and "</script>" stay valid JSON and
     round-trip exactly. Non-ASCII text is written as-is (the file is UTF-8).
  3. Numbers: ?c only, never a bare ${n}: the server locale would add grouping separators ("1,234").
     Amounts (total, amount, convertedAmount, modifiedAmount) are integer cents ("hundredths") exactly
     as Expensify sends them, whatever the currency (JPY too), negative for refunds. The template never
     divides by 100; the connector does exact decimal math.
  4. Booleans (reimbursable, billable): ?c, so they are JSON true/false.
  5. Missing values would abort the export, so every optional value has a default:
       - string fields            -> "" (empty string; Expensify itself sends "" for unset text, so the
                                     connector treats "" as "not set", e.g. modifiedMerchant "" = not edited)
       - amounts                  -> null (tested with ??, so "absent" and 0 stay distinguishable;
                                     a present 0 is written as 0)
       - reimbursable, billable   -> null (never guessed: a wrong guess would route money elsewhere)
       - submitterFullName        -> "" (from report.submitter.fullName)
       - receiptURL               -> "" (from receiptObject.url; receiptObject may be {} or absent)
       - transactionList          -> [] (a missing list is an empty array)
     Dotted paths are parenthesised before the default: (expense.receiptObject.url)!"".
  6. Separators come from ?has_next, so empty lists and single items give valid JSON (no trailing commas).

  Only these features are used (the sandbox's simulator supports exactly them): #list, #if/#elseif/#else,
  #assign, comments, #t/#lt/#rt, ${}, !, ??, ?c, ?json_string, ?has_next, ?has_content, ?string(...),
  ?replace, ?size.
-->
[
<#list reports as report>
  {
    "reportID": "${(report.reportID!"")?json_string}",
    "reportName": "${(report.reportName!"")?json_string}",
    "policyID": "${(report.policyID!"")?json_string}",
    "policyName": "${(report.policyName!"")?json_string}",
    "status": "${(report.status!"")?json_string}",
    "currency": "${(report.currency!"")?json_string}",
    "total": <#if report.total??>${report.total?c}<#else>null</#if>,
    "created": "${(report.created!"")?json_string}",
    "submitted": "${(report.submitted!"")?json_string}",
    "approved": "${(report.approved!"")?json_string}",
    "accountEmail": "${(report.accountEmail!"")?json_string}",
    "managerEmail": "${(report.managerEmail!"")?json_string}",
    "submitterFullName": "${((report.submitter.fullName)!"")?json_string}",
    "transactionList": [
<#list report.transactionList![] as expense>
      {
        "transactionID": "${(expense.transactionID!"")?json_string}",
        "amount": <#if expense.amount??>${expense.amount?c}<#else>null</#if>,
        "currency": "${(expense.currency!"")?json_string}",
        "convertedAmount": <#if expense.convertedAmount??>${expense.convertedAmount?c}<#else>null</#if>,
        "modifiedAmount": <#if expense.modifiedAmount??>${expense.modifiedAmount?c}<#else>null</#if>,
        "merchant": "${(expense.merchant!"")?json_string}",
        "modifiedMerchant": "${(expense.modifiedMerchant!"")?json_string}",
        "created": "${(expense.created!"")?json_string}",
        "modifiedCreated": "${(expense.modifiedCreated!"")?json_string}",
        "category": "${(expense.category!"")?json_string}",
        "categoryGlCode": "${(expense.categoryGlCode!"")?json_string}",
        "tag": "${(expense.tag!"")?json_string}",
        "tagGlCode": "${(expense.tagGlCode!"")?json_string}",
        "ntag1": "${(expense.ntag1!"")?json_string}",
        "ntag1GlCode": "${(expense.ntag1GlCode!"")?json_string}",
        "ntag2": "${(expense.ntag2!"")?json_string}",
        "ntag2GlCode": "${(expense.ntag2GlCode!"")?json_string}",
        "ntag3": "${(expense.ntag3!"")?json_string}",
        "ntag3GlCode": "${(expense.ntag3GlCode!"")?json_string}",
        "comment": "${(expense.comment!"")?json_string}",
        "reimbursable": <#if expense.reimbursable??>${expense.reimbursable?c}<#else>null</#if>,
        "billable": <#if expense.billable??>${expense.billable?c}<#else>null</#if>,
        "receiptURL": "${((expense.receiptObject.url)!"")?json_string}",
        "type": "${(expense.type!"")?json_string}"
      }<#if expense?has_next>,</#if>
</#list>
    ]
  }<#if report?has_next>,</#if>
</#list>
]
