/*
 * errors.c - error objects and the code table (names, message texts, retry classes).
 *
 * The table holds every FACILITY_WINRM HRESULT of the Windows SDK header wsmerror.h
 * (0x80338000-0x803381FF: MessageId name and MessageText, transcribed as facts; the same texts
 * are in dahall/Vanara PInvoke/WsmSvc/wsmerror.cs) plus the Win32 / WinHTTP / COM / SSPI codes
 * the client reports or that servers put into WSManFault Code (winerror.h, winhttp.h names;
 * system message texts). Data: spec/c/tools/wsmerror.txt and winerror.txt; the table below is
 * generated from them by spec/c/tools/gen_errors.py.
 *
 * wsman_error_text(code) is what WSMan.GetErrorMessage returns. A Win32 code is found both as
 * itself (5) and in its HRESULT_FROM_WIN32 form (0x80070005).
 */
#include "protocol.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct code_entry {
    uint32_t code;
    const char *name;
    const char *text;
} code_entry_t;

/* clang-format off */
static const code_entry_t code_table[] = {
    /* BEGIN GENERATED TABLE (spec/c/tools/gen_errors.py) */
    {0x00000002u, "ERROR_FILE_NOT_FOUND",
     "The system cannot find the file specified."},
    {0x00000003u, "ERROR_PATH_NOT_FOUND",
     "The system cannot find the path specified."},
    {0x00000005u, "ERROR_ACCESS_DENIED",
     "Access is denied."},
    {0x00000006u, "ERROR_INVALID_HANDLE",
     "The handle is invalid."},
    {0x00000008u, "ERROR_NOT_ENOUGH_MEMORY",
     "Not enough memory resources are available to process this command."},
    {0x0000000Eu, "ERROR_OUTOFMEMORY",
     "Not enough memory resources are available to complete this operation."},
    {0x00000032u, "ERROR_NOT_SUPPORTED",
     "The request is not supported."},
    {0x00000057u, "ERROR_INVALID_PARAMETER",
     "The parameter is incorrect."},
    {0x0000007Au, "ERROR_INSUFFICIENT_BUFFER",
     "The data area passed to a system call is too small."},
    {0x000003E3u, "ERROR_OPERATION_ABORTED",
     "The I/O operation has been aborted because of either a thread exit or an application request."},
    {0x000004C7u, "ERROR_CANCELLED",
     "The operation was canceled by the user."},
    {0x000004C9u, "ERROR_CONNECTION_REFUSED",
     "The remote computer refused the network connection."},
    {0x000004D4u, "ERROR_CONNECTION_ABORTED",
     "The network connection was aborted by the local system."},
    {0x000004DCu, "ERROR_NOT_AUTHENTICATED",
     "The operation being requested was not performed because the user has not been authenticated."},
    {0x0000051Fu, "ERROR_NO_LOGON_SERVERS",
     "There are currently no logon servers available to service the logon request."},
    {0x0000052Eu, "ERROR_LOGON_FAILURE",
     "The user name or password is incorrect."},
    {0x00000532u, "ERROR_PASSWORD_EXPIRED",
     "The password for this account has expired."},
    {0x00000533u, "ERROR_ACCOUNT_DISABLED",
     "This user can't sign in because this account is currently disabled."},
    {0x000005B4u, "ERROR_TIMEOUT",
     "This operation returned because the timeout period expired."},
    {0x00000775u, "ERROR_ACCOUNT_LOCKED_OUT",
     "The referenced account is currently locked out and may not be logged on to."},
    {0x00002EE1u, "ERROR_WINHTTP_OUT_OF_HANDLES",
     "No more handles could be generated at this time."},
    {0x00002EE2u, "ERROR_WINHTTP_TIMEOUT",
     "The operation timed out"},
    {0x00002EE4u, "ERROR_WINHTTP_INTERNAL_ERROR",
     "An internal error occurred in the Microsoft Windows HTTP Services"},
    {0x00002EE5u, "ERROR_WINHTTP_INVALID_URL",
     "The URL is invalid"},
    {0x00002EE6u, "ERROR_WINHTTP_UNRECOGNIZED_SCHEME",
     "The URL does not use a recognized protocol"},
    {0x00002EE7u, "ERROR_WINHTTP_NAME_NOT_RESOLVED",
     "The server name or address could not be resolved"},
    {0x00002EF1u, "ERROR_WINHTTP_OPERATION_CANCELLED",
     "The operation was canceled"},
    {0x00002EFDu, "ERROR_WINHTTP_CANNOT_CONNECT",
     "A connection with the server could not be established"},
    {0x00002EFEu, "ERROR_WINHTTP_CONNECTION_ERROR",
     "The connection with the server was terminated abnormally"},
    {0x00002F05u, "ERROR_WINHTTP_SECURE_CERT_DATE_INVALID",
     "The date in the certificate is invalid or has expired"},
    {0x00002F06u, "ERROR_WINHTTP_SECURE_CERT_CN_INVALID",
     "The host name in the certificate is invalid or does not match"},
    {0x00002F0Cu, "ERROR_WINHTTP_CLIENT_AUTH_CERT_NEEDED",
     "A certificate is required to complete client authentication"},
    {0x00002F0Du, "ERROR_WINHTTP_SECURE_INVALID_CA",
     "The certificate authority is invalid or incorrect"},
    {0x00002F78u, "ERROR_WINHTTP_INVALID_SERVER_RESPONSE",
     "The server returned an invalid or unrecognized response"},
    {0x00002F8Fu, "ERROR_WINHTTP_SECURE_FAILURE",
     "A security error occurred"},
    {0x80004001u, "E_NOTIMPL",
     "Not implemented"},
    {0x80004003u, "E_POINTER",
     "Invalid pointer"},
    {0x80004004u, "E_ABORT",
     "Operation aborted"},
    {0x80004005u, "E_FAIL",
     "Unspecified error"},
    {0x8000FFFFu, "E_UNEXPECTED",
     "Catastrophic failure"},
    {0x80070005u, "E_ACCESSDENIED",
     "Access is denied."},
    {0x8007000Eu, "E_OUTOFMEMORY",
     "Not enough memory resources are available to complete this operation."},
    {0x80070057u, "E_INVALIDARG",
     "The parameter is incorrect."},
    {0x80090302u, "SEC_E_UNSUPPORTED_FUNCTION",
     "The function requested is not supported"},
    {0x80090303u, "SEC_E_TARGET_UNKNOWN",
     "The specified target is unknown or unreachable"},
    {0x80090308u, "SEC_E_INVALID_TOKEN",
     "The token supplied to the function is invalid"},
    {0x8009030Cu, "SEC_E_LOGON_DENIED",
     "The logon attempt failed"},
    {0x8009030Eu, "SEC_E_NO_CREDENTIALS",
     "No credentials are available in the security package"},
    {0x8009030Fu, "SEC_E_MESSAGE_ALTERED",
     "The message or signature supplied for verification has been altered"},
    {0x80090310u, "SEC_E_OUT_OF_SEQUENCE",
     "The message supplied for verification is out of sequence"},
    {0x80090311u, "SEC_E_NO_AUTHENTICATING_AUTHORITY",
     "No authority could be contacted for authentication."},
    {0x80090322u, "SEC_E_WRONG_PRINCIPAL",
     "The target principal name is incorrect."},
    {0x80090324u, "SEC_E_TIME_SKEW",
     "The clocks on the client and server machines are skewed."},
    {0x80338000u, "ERROR_WSMAN_RESOURCE_NOT_FOUND",
     "The WS-Management service cannot process the request. The service cannot find the resource identified by the resource URI and selectors."},
    {0x80338001u, "ERROR_WSMAN_INVALID_ACTIONURI",
     "The WS-Management service cannot process the request. The WS-Addressing action URI is invalid. Check the documentation for information on how to construct an action URI."},
    {0x80338002u, "ERROR_WSMAN_INVALID_URI",
     "The WS-Management service cannot process the request. The resource URI is missing or it has an incorrect format. Check the documentation or use the following command for information on how to construct a resource URI: \"winrm help uris\"."},
    {0x80338003u, "ERROR_WSMAN_PROVIDER_FAILURE",
     "An error was encountered inside the plugin."},
    {0x80338004u, "ERROR_WSMAN_BATCH_COMPLETE",
     "The WS-Management service cannot complete the request. The WSManEnumerator object is full and no more items can be added."},
    {0x80338005u, "ERROR_WSMAN_CONFIG_CORRUPTED",
     "The WS-Management configuration is corrupted. Use the following command to restore defaults:\n\nwinrm invoke Restore http://schemas.microsoft.com/wbem/wsman/1/config @{}\n\nThen add any custom configuration settings."},
    {0x80338006u, "ERROR_WSMAN_PULL_IN_PROGRESS",
     "The WS-Management service cannot process a pull request because a pull operation is already in progress."},
    {0x80338007u, "ERROR_WSMAN_ENUMERATION_CLOSED",
     "The WS-Management enumeration session is finished or cancelled and cannot be used. Start a new enumeration."},
    {0x80338008u, "ERROR_WSMAN_SUBSCRIPTION_CLOSED",
     "The event subscription is already closed and cannot be used. Start a new subscription."},
    {0x80338009u, "ERROR_WSMAN_SUBSCRIPTION_CLOSE_IN_PROGRESS",
     "The event subscription session is closing and cannot be used. Start a new subscription."},
    {0x8033800Au, "ERROR_WSMAN_SUBSCRIPTION_CLIENT_DID_NOT_CALL_WITHIN_HEARTBEAT",
     "The application or script that has an event subscription did not request a pull operation within the heartbeat interval. The subscription session was closed. Start a new subscription."},
    {0x8033800Bu, "ERROR_WSMAN_SUBSCRIPTION_NO_HEARTBEAT",
     "The event source did not return events within the heartbeat interval. The subscription session was closed. Start a new subscription."},
    {0x8033800Cu, "ERROR_WSMAN_UNSUPPORTED_TIMEOUT",
     "The WS-Management service does not support the specified timeout. The value specified is smaller than the minimum allowed value for this setting. Change the timeout value and try the request again."},
    {0x8033800Du, "ERROR_WSMAN_SOAP_VERSION_MISMATCH",
     "The WS-Management service does not support the SOAP version specified in the request."},
    {0x8033800Eu, "ERROR_WSMAN_SOAP_DATA_ENCODING_UNKNOWN",
     "The WS-Management service does not support the encoding specified in the request."},
    {0x8033800Fu, "ERROR_WSMAN_INVALID_MESSAGE_INFORMATION_HEADER",
     "The WS-Management service cannot process the request. The request contains one or more invalid SOAP headers."},
    {0x80338010u, "ERROR_WSMAN_SOAP_FAULT_MUST_UNDERSTAND",
     "The WS-Management service cannot process a SOAP header in the request that is marked as mustUnderstand by the client. This could be caused by the use of a version of the protocol which is not supported, or may be an incompatibility between the client and server implementations."},
    {0x80338011u, "ERROR_WSMAN_MESSAGE_INFORMATION_HEADER_REQUIRED",
     "The WS-Management service cannot process the request. The request does not have all the expected SOAP headers."},
    {0x80338012u, "ERROR_WSMAN_DESTINATION_UNREACHABLE",
     "The client cannot connect to the destination specified in the request. Verify that the service on the destination is running and is accepting requests. Consult the logs and documentation for the WS-Management service running on the destination, most commonly IIS or WinRM. If the destination is the WinRM service, run the following command on the destination to analyze and configure the WinRM service: \"winrm quickconfig\"."},
    {0x80338013u, "ERROR_WSMAN_ACTION_NOT_SUPPORTED",
     "The WS-Management service does not support the action specified in the request."},
    {0x80338014u, "ERROR_WSMAN_ENDPOINT_UNAVAILABLE",
     "The WS-Management service cannot process the request because the resource is offline. Retry the request later when the resource is online."},
    {0x80338015u, "ERROR_WSMAN_INVALID_REPRESENTATION",
     "The WS-Management service cannot identify the format of the object passed to a Put or Create method. The input XML may not be appropriate for the resource or uses the wrong schema for the resource. Change the input XML in the request."},
    {0x80338016u, "ERROR_WSMAN_ENUMERATE_INVALID_EXPIRATION_TIME",
     "The expiration time passed to the WS-Management Enumerate method is not valid. The time value may be zero or refer to a time in the past. Change the expiration time and try the request again."},
    {0x80338017u, "ERROR_WSMAN_ENUMERATE_UNSUPPORTED_EXPIRATION_TIME",
     "The data source does not support expiration time. Remove the expiration time from the request and try the request again."},
    {0x80338018u, "ERROR_WSMAN_ENUMERATE_FILTERING_NOT_SUPPORTED",
     "The data source does not support filtering. Remove the filter from the request and try the request again."},
    {0x80338019u, "ERROR_WSMAN_ENUMERATE_FILTER_DIALECT_REQUESTED_UNAVAILABLE",
     "The filter dialect (the type associated with the filter) was not supported for this resource. Change the filter dialect or remove it from the request and try the request again."},
    {0x8033801Au, "ERROR_WSMAN_ENUMERATE_CANNOT_PROCESS_FILTER",
     "The data source could not process the filter. The filter might be missing or it might be invalid. Change the filter and try the request again."},
    {0x8033801Bu, "ERROR_WSMAN_ENUMERATE_INVALID_ENUMERATION_CONTEXT",
     "The WS-Enumeration context in the enumeration is not valid. Enumeration may have been completed or canceled. You cannot use this enumeration context anymore. Start a new enumeration."},
    {0x8033801Cu, "ERROR_WSMAN_ENUMERATE_TIMED_OUT",
     "The pull operation did not get any data in the MaxTime duration. But the enumeration is still valid. The client can attempt to do another pull request to retrieve data."},
    {0x8033801Du, "ERROR_WSMAN_ENUMERATE_UNABLE_TO_RENEW",
     "The WS-Management service cannot renew the enumeration. Start a new enumeration."},
    {0x8033801Eu, "ERROR_WSMAN_EVENTING_DELIVERY_MODE_REQUESTED_UNAVAILABLE",
     "The WS-Management service does not support the delivery mode for the specified resource. The client should change the subscription to use one of the supported delivery modes."},
    {0x8033801Fu, "ERROR_WSMAN_EVENTING_INVALID_EXPIRATION_TIME",
     "The expiration time of the subscription is invalid. The time is either not supported, zero or a time that happened in the past. Change the expiration time and try the request again."},
    {0x80338020u, "ERROR_WSMAN_EVENTING_UNSUPPORTED_EXPIRATION_TYPE",
     "The expiration time specified for subscription was invalid. Specify the expiration time as a duration."},
    {0x80338021u, "ERROR_WSMAN_EVENTING_FILTERING_NOT_SUPPORTED",
     "The event source does not support filtering. Remove the filter from the request and try the request again."},
    {0x80338022u, "ERROR_WSMAN_EVENTING_FILTERING_REQUESTED_UNAVAILABLE",
     "The event source cannot process the specified filter. Change the filter or remove it from the request and try the request again."},
    {0x80338023u, "ERROR_WSMAN_EVENTING_SOURCE_UNABLE_TO_PROCESS",
     "The event source cannot process the subscription."},
    {0x80338024u, "ERROR_WSMAN_EVENTING_UNABLE_TO_RENEW",
     "The WS-Management service cannot renew the event subscription. Create a new subscription."},
    {0x80338025u, "ERROR_WSMAN_EVENTING_INVALID_MESSAGE",
     "The WS-Management service cannot complete the WS-Eventing request because the request had some unknown or invalid content and could not be processed."},
    {0x80338026u, "ERROR_WSMAN_ENVELOPE_TOO_LARGE",
     "The WS-Management service cannot process the response because it is larger than the maximum size allowed."},
    {0x80338027u, "ERROR_WSMAN_INVALID_SOAP_BODY",
     "The WS-Management service cannot process the request because the request packet does not have a valid SOAP body."},
    {0x80338028u, "ERROR_WSMAN_INVALID_RESUMPTION_CONTEXT",
     "The resumption context specified in the subscription is invalid. It may have expired, or be in the wrong format."},
    {0x80338029u, "ERROR_WSMAN_OPERATION_TIMEDOUT",
     "The WS-Management service cannot complete the operation within the time specified in OperationTimeout."},
    {0x8033802Au, "ERROR_WSMAN_RESUMPTION_NOT_SUPPORTED",
     "The event source does not support subscriptions that can be resumed."},
    {0x8033802Bu, "ERROR_WSMAN_RESUMPTION_TYPE_NOT_SUPPORTED",
     "The WS-Management service does not support the type of resumption requested by the subscription."},
    {0x8033802Cu, "ERROR_WSMAN_UNSUPPORTED_ENCODING",
     "The request contains character encoding that is unsupported. WS-Management only supports requests that are encoded in UTF-8 or UTF-16. Change the character encoding in the request and try the request again."},
    {0x8033802Du, "ERROR_WSMAN_URI_LIMIT",
     "The URI is longer than the maximum length allowed."},
    {0x8033802Eu, "ERROR_WSMAN_INVALID_PROPOSED_ID",
     "The WS-Management service cannot process the request because the subscription ID is invalid."},
    {0x8033802Fu, "ERROR_WSMAN_INVALID_BATCH_PARAMETER",
     "The WS-Management service cannot process the batch request. The request must specify either MaxItems, MaxCharacters, or MaxTime."},
    {0x80338030u, "ERROR_WSMAN_NO_ACK",
     "The receiver of the event did not acknowledge the event delivery. Submit the subscription again without the acknowledgement option."},
    {0x80338031u, "ERROR_WSMAN_ACTION_MISMATCH",
     "The WS-Management service cannot process the request because the WS-Addressing Action URI in the request is not compatible with the resource."},
    {0x80338032u, "ERROR_WSMAN_CONCURRENCY",
     "The WS-Management service cannot complete the WS-Addressing Action URI in the request because the resource was already in use."},
    {0x80338033u, "ERROR_WSMAN_ALREADY_EXISTS",
     "The WS-Management service cannot create the resource because it already exists."},
    {0x80338034u, "ERROR_WSMAN_DELIVERY_REFUSED",
     "The WS-Management service cannot complete the request because the receiver does not accept the delivery of events. The receiver requests that the subscription be cancelled. Event receivers return this message to force the cancellation of a subscription."},
    {0x80338035u, "ERROR_WSMAN_ENCODING_LIMIT",
     "The WS-Management service cannot process the request because the encoding of the request exceeds an internal encoding limit. Reconfigure the client to send messages which fit the encoding limits of the service."},
    {0x80338036u, "ERROR_WSMAN_FAILED_AUTHENTICATION",
     "The WS-Management service cannot authenticate the sender."},
    {0x80338037u, "ERROR_WSMAN_INCOMPATIBLE_EPR",
     "The WS-Management service does not support the format of the WS-Addressing Endpoint Reference."},
    {0x80338038u, "ERROR_WSMAN_INVALID_BOOKMARK",
     "The bookmark in the subscription is invalid. The bookmark may be expired or corrupted. Issue a new subscription without any bookmarks or locate the correct bookmark."},
    {0x80338039u, "ERROR_WSMAN_INVALID_OPTIONS",
     "The WS-Management service cannot process the request because one or more options are not valid. The option names or values may not be valid or they are used in incorrect combinations. Retrieve the catalog entry for the resource and determine how to correct the invalid option values."},
    {0x8033803Au, "ERROR_WSMAN_INVALID_PARAMETER",
     "The WS-Management service cannot process the request because a parameter for the operation is not valid."},
    {0x8033803Bu, "ERROR_WSMAN_INVALID_RESOURCE_URI",
     "The WS-Management service cannot process the request. The resource URI is missing or it has an incorrect format. Check the documentation or use the following command for information on how to construct a resource URI: \"winrm help uris\"."},
    {0x8033803Cu, "ERROR_WSMAN_INVALID_SYSTEM",
     "The WS-Management service requires a valid System URI to process the request."},
    {0x8033803Du, "ERROR_WSMAN_INVALID_SELECTORS",
     "The WS-Management service cannot process the request because the selectors for the resource are not valid."},
    {0x8033803Eu, "ERROR_WSMAN_METADATA_REDIRECT",
     "The requested metadata is not available at the current address. Retry the request with a new address."},
    {0x8033803Fu, "ERROR_WSMAN_QUOTA_LIMIT",
     "The WS-Management service is busy servicing other requests. Retry later."},
    {0x80338040u, "ERROR_WSMAN_RENAME_FAILURE",
     "The WS-Management service cannot rename the resource. The selectors for the resource are not correct. The resource may exist already, the address may be incorrect, or the resource URI may be invalid. Change the request and retry."},
    {0x80338041u, "ERROR_WSMAN_SCHEMA_VALIDATION_ERROR",
     "The SOAP XML in the message does not match the corresponding XML schema definition. Change the XML and retry."},
    {0x80338042u, "ERROR_WSMAN_UNSUPPORTED_FEATURE",
     "The WS-Management service does not support the specified feature. Remove the unsupported feature from the request and retry."},
    {0x80338043u, "ERROR_WSMAN_INVALID_XML",
     "The WS-Management service cannot process the request because the XML is invalid."},
    {0x80338044u, "ERROR_WSMAN_INVALID_KEY",
     "The WS-Management service cannot process the request because the URI contains an unexpected selector."},
    {0x80338045u, "ERROR_WSMAN_DELIVER_IN_PROGRESS",
     "The event source is attempting to deliver an event when a delivery is in progress already."},
    {0x80338046u, "ERROR_WSMAN_SYSTEM_NOT_FOUND",
     "The WS-Management service cannot locate the system."},
    {0x80338047u, "ERROR_WSMAN_MAX_ENVELOPE_SIZE",
     "The maximum envelope size in the request is too large. Change the maximum envelope size and try the request again."},
    {0x80338048u, "ERROR_WSMAN_MAX_ENVELOPE_SIZE_EXCEEDED",
     "The response that the WS-Management service computed exceeds the maximum envelope size in the request."},
    {0x80338049u, "ERROR_WSMAN_SERVER_ENVELOPE_LIMIT",
     "The response that the WS-Management service computed exceed the internal limit for envelope size."},
    {0x8033804Au, "ERROR_WSMAN_SELECTOR_LIMIT",
     "The WS-Management service cannot process the request because the URI contains too many selectors."},
    {0x8033804Bu, "ERROR_WSMAN_OPTION_LIMIT",
     "The WS-Management service cannot process the request because it contains too many options."},
    {0x8033804Cu, "ERROR_WSMAN_CHARACTER_SET",
     "The WS-Management service does not support the character set used in the request. Change the request to use UTF-8 or UTF-16."},
    {0x8033804Du, "ERROR_WSMAN_UNREPORTABLE_SUCCESS",
     "The operation succeeded and cannot be reversed but the result is too large to send."},
    {0x8033804Eu, "ERROR_WSMAN_WHITESPACE",
     "The WS-Management service does not support white space in the request XML."},
    {0x8033804Fu, "ERROR_WSMAN_FILTERING_REQUIRED",
     "The WS-Management service does not support the filter dialect in the request. The filter dialect is the type of filter, such as XPath or WQL."},
    {0x80338050u, "ERROR_WSMAN_BOOKMARK_EXPIRED",
     "The WS-Management service cannot process the request because it contains a bookmark that is expired."},
    {0x80338051u, "ERROR_WSMAN_OPTIONS_NOT_SUPPORTED",
     "The WS-Management provider does not support the specified option set because mustComply for one of the options is set to true. Change mustComply for one of the options to false."},
    {0x80338052u, "ERROR_WSMAN_OPTIONS_INVALID_NAME",
     "The WS-Management service cannot process the request because one or more of the options has an invalid name."},
    {0x80338053u, "ERROR_WSMAN_OPTIONS_INVALID_VALUE",
     "The WS-Management service cannot process the request because one or more of the options has an invalid value."},
    {0x80338054u, "ERROR_WSMAN_PARAMETER_TYPE_MISMATCH",
     "The WS-Management service cannot process the request. A parameter that is required for the operation is not the correct type."},
    {0x80338055u, "ERROR_WSMAN_INVALID_PARAMETER_NAME",
     "The WS-Management service cannot process the request. A parameter name is invalid."},
    {0x80338056u, "ERROR_WSMAN_INVALID_XML_VALUES",
     "The WS-Management service cannot process the request because the XML content has invalid values."},
    {0x80338057u, "ERROR_WSMAN_INVALID_XML_MISSING_VALUES",
     "The WS-Management service cannot process the request because the XML content has missing values."},
    {0x80338058u, "ERROR_WSMAN_INVALID_XML_NAMESPACE",
     "The WS-Management service cannot identify the format of the object passed to a Put or Create method. The XML namespace for the input XML is invalid. Change the XML namespace for the input XML in the request."},
    {0x80338059u, "ERROR_WSMAN_INVALID_XML_FRAGMENT",
     "The WS-Management service cannot process the request because an XML fragment in the URI is invalid."},
    {0x8033805Au, "ERROR_WSMAN_INSUFFCIENT_SELECTORS",
     "The WS-Management service cannot process the request because the request did not contain all required selectors."},
    {0x8033805Bu, "ERROR_WSMAN_UNEXPECTED_SELECTORS",
     "The WS-Management service cannot process the request because the request contained invalid selectors for the resource."},
    {0x8033805Cu, "ERROR_WSMAN_SELECTOR_TYPEMISMATCH",
     "The WS-Management service cannot process the request because a value for a selector is of the wrong type."},
    {0x8033805Du, "ERROR_WSMAN_INVALID_SELECTOR_VALUE",
     "The WS-Management service cannot process the request because a value for the selector is invalid."},
    {0x8033805Eu, "ERROR_WSMAN_AMBIGUOUS_SELECTORS",
     "The WS-Management service cannot process the request because the selectors for the resource are ambiguous."},
    {0x8033805Fu, "ERROR_WSMAN_DUPLICATE_SELECTORS",
     "The WS-Management service cannot process the request because the request contains duplicate selectors."},
    {0x80338060u, "ERROR_WSMAN_INVALID_TARGET_SELECTORS",
     "The WS-Management service cannot process the request because the request contains invalid selectors for the target resource."},
    {0x80338061u, "ERROR_WSMAN_INVALID_TARGET_RESOURCEURI",
     "The WS-Management service cannot process the request because the request contains an invalid URI for the target resource."},
    {0x80338062u, "ERROR_WSMAN_INVALID_TARGET_SYSTEM",
     "The WS-Management service cannot process the request because the request contains an invalid target system."},
    {0x80338063u, "ERROR_WSMAN_TARGET_ALREADY_EXISTS",
     "The WS-Management service cannot process a Create request because the target already exists."},
    {0x80338064u, "ERROR_WSMAN_AUTHORIZATION_MODE_NOT_SUPPORTED",
     "The WS-Management service does not support the mode of authorization."},
    {0x80338065u, "ERROR_WSMAN_ACK_NOT_SUPPORTED",
     "The client does not support acknowledgment."},
    {0x80338066u, "ERROR_WSMAN_OPERATION_TIMEOUT_NOT_SUPPORTED",
     "The data source does not support timeouts for the operation."},
    {0x80338067u, "ERROR_WSMAN_LOCALE_NOT_SUPPORTED",
     "The WS-Management service does not support the locale."},
    {0x80338068u, "ERROR_WSMAN_EXPIRATION_TIME_NOT_SUPPORTED",
     "The WS-Management service does not support the expiration time."},
    {0x80338069u, "ERROR_WSMAN_DELIVERY_RETRIES_NOT_SUPPORTED",
     "The WS-Management service does not retry deliveries."},
    {0x8033806Au, "ERROR_WSMAN_HEARTBEATS_NOT_SUPPORTED",
     "The event source does not support heartbeats."},
    {0x8033806Bu, "ERROR_WSMAN_BOOKMARKS_NOT_SUPPORTED",
     "The event source does not support bookmarks."},
    {0x8033806Cu, "ERROR_WSMAN_MAXITEMS_NOT_SUPPORTED",
     "The WS-Management service does not support the configuration for MaxItems."},
    {0x8033806Du, "ERROR_WSMAN_MAXTIME_NOT_SUPPORTED",
     "The WS-Management service does not support the configuration for MaxTime."},
    {0x8033806Eu, "ERROR_WSMAN_MAXENVELOPE_SIZE_NOT_SUPPORTED",
     "The WS-Management service does not support the value in the configuration for MaxEnvelopeSize."},
    {0x8033806Fu, "ERROR_WSMAN_MAXENVELOPE_POLICY_NOT_SUPPORTED",
     "The event source does not support the MaxEnvelopePolicy."},
    {0x80338070u, "ERROR_WSMAN_FILTERING_REQUIRED_NOT_SUPPORTED",
     "The WS-Management service does not support unfiltered enumeration."},
    {0x80338071u, "ERROR_WSMAN_INSECURE_ADDRESS_NOT_SUPPORTED",
     "The WS-Management service does not support insecure addresses."},
    {0x80338072u, "ERROR_WSMAN_FORMAT_MISMATCH_NOT_SUPPORTED",
     "The WS-Management service does not support format mismatch."},
    {0x80338073u, "ERROR_WSMAN_FORMAT_SECURITY_TOKEN_NOT_SUPPORTED",
     "The WS-Management service does not support the format of the security token."},
    {0x80338074u, "ERROR_WSMAN_BAD_METHOD",
     "The service returned a response that indicates that the method is unsupported."},
    {0x80338075u, "ERROR_WSMAN_UNSUPPORTED_MEDIA",
     "The WS-Management service does not support the specified media type."},
    {0x80338076u, "ERROR_WSMAN_UNSUPPORTED_ADDRESSING_MODE",
     "The WS-Management service does not support the addressing mode."},
    {0x80338077u, "ERROR_WSMAN_FRAGMENT_TRANSFER_NOT_SUPPORTED",
     "The WS-Management service does not support fragment transfer."},
    {0x80338078u, "ERROR_WSMAN_ENUMERATION_INITIALIZING",
     "The client sent a request before the enumeration was initialized."},
    {0x80338079u, "ERROR_WSMAN_CONNECTOR_GET",
     "The WS-Management service failed to locate the component that can process the request."},
    {0x8033807Au, "ERROR_WSMAN_URI_QUERY_STRING_SYNTAX_ERROR",
     "A syntax error occurred in the query string for the resource URI."},
    {0x8033807Bu, "ERROR_WSMAN_INEXISTENT_MAC_ADDRESS",
     "The MAC that is configured is not in the list of enabled DHCP adapters on the computer."},
    {0x8033807Cu, "ERROR_WSMAN_NO_UNICAST_ADDRESSES",
     "The MAC address that is configured does not have any unicast addresses."},
    {0x8033807Du, "ERROR_WSMAN_NO_DHCP_ADDRESSES",
     "The WS-Management service cannot find the dynamic IP address on the adapter with the configured MAC address."},
    {0x8033807Eu, "ERROR_WSMAN_MIN_ENVELOPE_SIZE",
     "The WS-Management service cannot process the request because the envelope size in the request is too small."},
    {0x8033807Fu, "ERROR_WSMAN_EPR_NESTING_EXCEEDED",
     "The WS-Management service cannot process the request. The EndPointReference contains more nested EndPointReferences than WS-Management supports."},
    {0x80338080u, "ERROR_WSMAN_REQUEST_INIT_ERROR",
     "The WS-Management service cannot initialize the request."},
    {0x80338081u, "ERROR_WSMAN_INVALID_TIMEOUT_HEADER",
     "The WS-Management service cannot process the request because the timeout header in the request is invalid."},
    {0x80338082u, "ERROR_WSMAN_CERT_NOT_FOUND",
     "The WS-Management service cannot find the certificate that was requested."},
    {0x80338083u, "ERROR_WSMAN_PLUGIN_FAILED",
     "The WS-Management service cannot process the request. The data source failed to return results for the request."},
    {0x80338084u, "ERROR_WSMAN_ENUMERATION_INVALID",
     "The enumeration is invalid because previous Pull request failed."},
    {0x80338085u, "ERROR_WSMAN_CONFIG_CANNOT_CHANGE_MUTUAL",
     "The WS-Management service cannot change a mutual configuration."},
    {0x80338086u, "ERROR_WSMAN_ENUMERATION_MODE_UNSUPPORTED",
     "The WS-Management service does not support the specified enumeration mode."},
    {0x80338087u, "ERROR_WSMAN_MUSTUNDERSTAND_ON_LOCALE_UNSUPPORTED",
     "The WS-Management service cannot guarantee that all data is returned in the requested locale as some data sources may not be able to comply. Resend the remote request with locale as a hint (the SOAP header should have mustUnderstand=\"false\")"},
    {0x80338088u, "ERROR_WSMAN_POLICY_CORRUPTED",
     "The WSMan group policy configuration is corrupted."},
    {0x80338089u, "ERROR_WSMAN_LISTENER_ADDRESS_INVALID",
     "The listener address specified is invalid. The address can be specified in one of the following formats: *, IP:<ip_address>, MAC:<mac_address>. Change the listener address and try the request again."},
    {0x8033808Au, "ERROR_WSMAN_CONFIG_CANNOT_CHANGE_GPO_CONTROLLED_SETTING",
     "Cannot change GPO controlled setting."},
    {0x8033808Bu, "ERROR_WSMAN_EVENTING_CONCURRENT_CLIENT_RECEIVE",
     "The client is attempting to concurrently receive events from a single subscription session.This is not supported."},
    {0x8033808Cu, "ERROR_WSMAN_EVENTING_FAST_SENDER",
     "The source is sending event batches faster than the subscriber can consume. This can happen if acknowledgments are not specified for the subscription and new events are arriving from the source before the client has consumed them."},
    {0x8033808Du, "ERROR_WSMAN_EVENTING_INSECURE_PUSHSUBSCRIPTION_CONNECTION",
     "The source is sending events in a connection that did not match the security restrictions imposed by the client."},
    {0x8033808Eu, "ERROR_WSMAN_EVENTING_INVALID_EVENTSOURCE",
     "The WS-Management client cannot process the request. The event source identity does not match the identity of the machine that the client subscribed to."},
    {0x8033808Fu, "ERROR_WSMAN_EVENTING_NOMATCHING_LISTENER",
     "The client could not start a valid listener to receive subscription events based on the specified input settings."},
    {0x80338090u, "ERROR_WSMAN_FRAGMENT_DIALECT_REQUESTED_UNAVAILABLE",
     "The fragment path dialect is not supported for this resource."},
    {0x80338091u, "ERROR_WSMAN_MISSING_FRAGMENT_PATH",
     "Cannot execute the Fragment-Level operation. The fragment path cannot be missing if the fragment dialect is specified."},
    {0x80338092u, "ERROR_WSMAN_INVALID_FRAGMENT_DIALECT",
     "Cannot execute the Fragment-Level operation because of invalid value for the fragment dialect."},
    {0x80338093u, "ERROR_WSMAN_INVALID_FRAGMENT_PATH",
     "Cannot execute the Fragment-Level operation because the fragment path is invalid. Check the syntax of the fragment path string. Also check the spelling and the case of the property names in the fragment path string: they have to match the spelling and the case of the resource properties."},
    {0x80338094u, "ERROR_WSMAN_EVENTING_INCOMPATIBLE_BATCHPARAMS_AND_DELIVERYMODE",
     "The specified batch parameter is incompatible with the specified event delivery mode. This can happen if batchSettings for a specific mode are passed for a different mode. For example, batchSettings like \"MaxItems\" and \"MaxLatency\" are not compatible with single event push mode or pull mode."},
    {0x80338095u, "ERROR_WSMAN_EVENTING_LOOPBACK_TESTFAILED",
     "The connectivity test from the push subscription source to the client failed. This can happen if the client machine initiating the push subscription is unreachable from the server machine where the event source is located. Possible reasons include firewall or some other network boundary. Modify subscription to use Pull based subscription."},
    {0x80338096u, "ERROR_WSMAN_EVENTING_INVALID_ENDTO_ADDRESSS",
     "The subscribe packet had an EndTo element address that does not match the NotifyTo element address or it was invalid. For subscription the EndTo element need not be present in the subscription request. If it exists then it's address should match the address specified in NotifyTo element."},
    {0x80338097u, "ERROR_WSMAN_EVENTING_INVALID_INCOMING_EVENT_PACKET_HEADER",
     "The event source sent an event packet whose header could not be processed by the client. This can happen if it was malformed or if the header had a mustUnderstand attribute that could not be understood by the client."},
    {0x80338098u, "ERROR_WSMAN_SESSION_ALREADY_CLOSED",
     "An operation is being attempted on a session that is being closed.This can happen if the session that is being used is also being closed by another thread."},
    {0x80338099u, "ERROR_WSMAN_SUBSCRIPTION_LISTENER_NOLONGERVALID",
     "The listener on which the subscription session was established is no longer valid. This can happen if the WSMAN service listener configuration has been changed and a subscription was already active and using one of the configurations that was deleted."},
    {0x8033809Au, "ERROR_WSMAN_PROVIDER_LOAD_FAILED",
     "The system failed to load the plugin."},
    {0x8033809Bu, "ERROR_WSMAN_EVENTING_SUBSCRIPTIONCLOSED_BYREMOTESERVICE",
     "The WS-Management service on the remote machine with which this subscription had been set up has requested that the subscription be closed. This can happen if the WS-Management service on the remote machine was being shutdown. To correct this problem restart the WS-Management service on the remote machine and re-create the subscription."},
    {0x8033809Cu, "ERROR_WSMAN_EVENTING_DELIVERYFAILED_FROMSOURCE",
     "The event source was unable to deliver events to the client.This can happen due to network issues preventing the source from connecting to the client."},
    {0x8033809Du, "ERROR_WSMAN_SECURITY_UNMAPPED",
     "An unknown security error occurred."},
    {0x8033809Eu, "ERROR_WSMAN_EVENTING_SUBSCRIPTION_CANCELLED_BYSOURCE",
     "The event source cancelled the subscription session."},
    {0x8033809Fu, "ERROR_WSMAN_INVALID_HOSTNAME_PATTERN",
     "TrustedHosts list contains an invalid hostname or hostname pattern."},
    {0x803380A0u, "ERROR_WSMAN_EVENTING_MISSING_NOTIFYTO",
     "The subscribe packet does not have NotifyTo element in the delivery section."},
    {0x803380A1u, "ERROR_WSMAN_EVENTING_MISSING_NOTIFYTO_ADDRESSS",
     "The subscribe packet does not have Address element in the NotifyTo section."},
    {0x803380A2u, "ERROR_WSMAN_EVENTING_INVALID_NOTIFYTO_ADDRESSS",
     "The subscribe packet contains invalid Address in the NotifyTo section."},
    {0x803380A3u, "ERROR_WSMAN_EVENTING_INVALID_LOCALE_IN_DELIVERY",
     "The subscribe packet contains invalid Locale value in the delivery section."},
    {0x803380A4u, "ERROR_WSMAN_EVENTING_INVALID_HEARTBEAT",
     "The subscribe packet contains invalid heartbeat value."},
    {0x803380A5u, "ERROR_WSMAN_MACHINE_OPTION_REQUIRED",
     "The WS-Management service cannot process the request. This request is valid only when the -remote option is specified."},
    {0x803380A6u, "ERROR_WSMAN_UNSUPPORTED_FEATURE_OPTIONS",
     "The WS-Management service does not support the options feature for the specified resource. Remove the options from the request and retry."},
    {0x803380A7u, "ERROR_WSMAN_BATCHSIZE_TOO_SMALL",
     "The subscribe packet contains batch size value which is smaller than supported value."},
    {0x803380A8u, "ERROR_WSMAN_EVENTING_DELIVERY_MODE_REQUESTED_INVALID",
     "The WS-Management service cannot process the subscribe request. The delivery mode is either invalid or missing."},
    {0x803380A9u, "ERROR_WSMAN_PROVSYS_NOT_SUPPORTED",
     "The WS-Management service cannot process the request. The provider method was not found."},
    {0x803380AAu, "ERROR_WSMAN_PUSH_SUBSCRIPTION_CONFIG_INVALID",
     "The WinRM client could not create a push subscription because there are no listeners configured that match the specified hostname and transport, or because there is no enabled firewall exception on the port used by the selected listener. Change the hostname and transport, create an appropriate firewall exception, or run winrm quickconfig."},
    {0x803380ABu, "ERROR_WSMAN_CREDS_PASSED_WITH_NO_AUTH_FLAG",
     "The WinRM client could not process the request because credentials were specified along with the 'no authentication' flag. No user name, password or client certificate should be specified with the 'no authentication' option."},
    {0x803380ACu, "ERROR_WSMAN_CLIENT_INVALID_FLAG",
     "The WinRM client cannot process the request. An invalid flag was specified for this request. Remove or change the invalid flag and try the request again."},
    {0x803380ADu, "ERROR_WSMAN_CLIENT_MULTIPLE_AUTH_FLAGS",
     "The WinRM client cannot process the request. The request must specify only one authentication mechanism. If the No Authentication flag is set, no authentication mechanism should be specified. Change the request to specify only one authentication mechanism or 'no authentication' and try again."},
    {0x803380AEu, "ERROR_WSMAN_CLIENT_SPN_WRONG_AUTH",
     "The WinRM client cannot process the request. The SPN Server Port can only be used when the authentication mechanism is Negotiate or Kerberos. Remove the SPN Server Port or change the authentication mechanism and try the request again."},
    {0x803380AFu, "ERROR_WSMAN_CLIENT_CERT_UNNEEDED_CREDS",
     "The WinRM client cannot process the request. The request must not include credentials when using a smart card or default certificate. Remove the credentials or change the authentication mechanism and try the request again."},
    {0x803380B0u, "ERROR_WSMAN_CLIENT_USERNAME_PASSWORD_NEEDED",
     "The WinRM client cannot process the request. Requests must include user name and password when Basic or Digest authentication mechanism is used. Add the user name and password or change the authentication mechanism and try the request again."},
    {0x803380B1u, "ERROR_WSMAN_CLIENT_CERT_UNNEEDED_USERNAME",
     "The WinRM client cannot process the request. Requests must not include user name and password when a certificate is used for authentication. Remove the user name and password or change the authentication mechanism and try the request again."},
    {0x803380B2u, "ERROR_WSMAN_CLIENT_CREDENTIALS_NEEDED",
     "The WinRM client cannot process the request. Requests must include credentials if they specify the following flag: WSManFlagCredUsernamePassword. Add the credentials or remove the WSManFlagCredUsernamePassword flag and try the request again."},
    {0x803380B3u, "ERROR_WSMAN_CLIENT_CREDENTIALS_FLAG_NEEDED",
     "The WinRM client cannot process the request. Requests with credentials must include the following flag: WSManFlagCredUsernamePassword. Add the flag or remove the credentials and try the request again."},
    {0x803380B4u, "ERROR_WSMAN_CLIENT_CERT_NEEDED",
     "The WinRM client cannot process the request. Requests must include the certificate thumbprint when a certificate is used for authentication. Change the request to include the certificate thumbprint and try again."},
    {0x803380B5u, "ERROR_WSMAN_CLIENT_CERT_UNKNOWN_TYPE",
     "The WinRM client cannot process the request. Requests must include the type of certificate to use for authentication. Change the request to include the type of the certificate and try again."},
    {0x803380B6u, "ERROR_WSMAN_CLIENT_CERT_UNKNOWN_LOCATION",
     "The WinRM client cannot process the request. Requests must include the location (machine or user certificate store) of the certificate used for authentication. Change the request to include the location of the certificate and try again."},
    {0x803380B7u, "ERROR_WSMAN_CLIENT_INVALID_CERT",
     "The WinRM client cannot process the request. The certificate structure was incomplete. Change the certificate structure and try the request again."},
    {0x803380B8u, "ERROR_WSMAN_CLIENT_LOCAL_INVALID_CREDS",
     "The WinRM client cannot process the request. Credentials must not be provided for local requests. Remove the credentials and try the request again."},
    {0x803380B9u, "ERROR_WSMAN_CLIENT_LOCAL_INVALID_CONNECTION_OPTIONS",
     "The WinRM client cannot process the request. Connection options must not be provided for local requests. Remove the connection options and try the request again."},
    {0x803380BAu, "ERROR_WSMAN_CLIENT_CREATESESSION_NULL_PARAM",
     "The WinRM client cannot process the request. One of the parameters required for the WSManCreateSession function is null or zero. Change the request to include the missing parameter and try again."},
    {0x803380BBu, "ERROR_WSMAN_CLIENT_ENUMERATE_NULL_PARAM",
     "The WinRM client cannot process the request. One of the parameters required for the WSManEnumerate function is null or zero. Change the request to include the missing parameter and try again."},
    {0x803380BCu, "ERROR_WSMAN_CLIENT_SUBSCRIBE_NULL_PARAM",
     "The WinRM client cannot process the request. One of the parameters required for the WSManSubscribe function is null or zero. Change the request to include the missing parameter and try again."},
    {0x803380BDu, "ERROR_WSMAN_CLIENT_NULL_RESULT_PARAM",
     "The WinRM client cannot process the request. The parameter that should contain the result of the request is null. Change the request to include the missing parameter and try again."},
    {0x803380BEu, "ERROR_WSMAN_CLIENT_NO_HANDLE",
     "The WinRM client cannot process the request. The request is missing the session or enumeration handle. Change the request to include the missing parameter and try again."},
    {0x803380BFu, "ERROR_WSMAN_CLIENT_BLANK_URI",
     "The WinRM client cannot process the request. The resource URI must not be \"\" (blank or empty string) or NULL. Change the resource URI and try the request again."},
    {0x803380C0u, "ERROR_WSMAN_CLIENT_INVALID_RESOURCE_LOCATOR",
     "The WinRM client cannot process the request. The resource locator was invalid. Change the resource locator and try the request again."},
    {0x803380C1u, "ERROR_WSMAN_CLIENT_BLANK_INPUT_XML",
     "The WinRM client cannot process the request. The input XML must not be \"\" (blank or empty string) or NULL. Change the input XML and try the request again."},
    {0x803380C2u, "ERROR_WSMAN_CLIENT_BATCH_ITEMS_TOO_SMALL",
     "The WinRM client cannot process the request. The maximum number of elements to be retrieved in a batch is too small. Change the value for the maximum number of elements in a batch and try the request again."},
    {0x803380C3u, "ERROR_WSMAN_CLIENT_MAX_CHARS_TOO_SMALL",
     "The WinRM client cannot process the request. The maximum number of characters to be retrieved in a batch is too small. Change the value for the maximum number of characters in a batch and try the request again."},
    {0x803380C4u, "ERROR_WSMAN_CLIENT_BLANK_ACTION_URI",
     "The WinRM client cannot process the request. The action URI must not be \"\" (blank or empty string) or NULL. Change the action URI and try the request again."},
    {0x803380C5u, "ERROR_WSMAN_CLIENT_ZERO_HEARTBEAT",
     "The WinRM client cannot process the request. The heartbeat interval must be greater than 0. Change the heartbeat interval and try the request again."},
    {0x803380C6u, "ERROR_WSMAN_CLIENT_MULTIPLE_DELIVERY_MODES",
     "The WinRM client cannot process the request. The request must contain one and only one delivery mode. Change the request to contain only one delivery mode and try again."},
    {0x803380C7u, "ERROR_WSMAN_CLIENT_MULTIPLE_ENVELOPE_POLICIES",
     "The WinRM client cannot process the request. The request contained multiple settings for the policy regarding the maximum envelope size. Change the request to contain only one setting for the policy and try again."},
    {0x803380C8u, "ERROR_WSMAN_CLIENT_UNKNOWN_EXPIRATION_TYPE",
     "The WinRM client cannot process the request. The request contained an expiration time, but did not specify if it was absolute or relative. Change the request to specify the type of the expiration time (absolute or relative) and try again."},
    {0x803380C9u, "ERROR_WSMAN_CLIENT_MISSING_EXPIRATION",
     "The WinRM client cannot process the request. The request specified the type of the expiration time (absolute or relative) but it did not contain an expiration time. Change the request to include the expiration time and try again."},
    {0x803380CAu, "ERROR_WSMAN_CLIENT_PULL_INVALID_FLAGS",
     "The WinRM client cannot process the request. The pull subscription request contained flags related to a push subscription. Change the flags and try the request again."},
    {0x803380CBu, "ERROR_WSMAN_CLIENT_PUSH_UNSUPPORTED_TRANSPORT",
     "The WinRM client cannot process the request because the push subscription request contained an unsupported delivery transport. HTTP and HTTPS are the only currently supported transports. Change the delivery transport and try the request again."},
    {0x803380CCu, "ERROR_WSMAN_CLIENT_PUSH_HOST_TOO_LONG",
     "The WinRM client cannot process the request. The delivery address for push subscriptions was too long. Change the delivery address and try the request again."},
    {0x803380CDu, "ERROR_WSMAN_CLIENT_COMPRESSION_INVALID_OPTION",
     "The WinRM client cannot process the request. The request contained the compression option but contained an unrecognized value. Change the value for the compression option and try the request again."},
    {0x803380CEu, "ERROR_WSMAN_CLIENT_DELIVERENDSUBSCRIPTION_NULL_PARAM",
     "The WinRM client cannot process the request. One of the parameters required for the WSManDeliverEndSubscriptionNotification function is null or zero. Change the request to include the missing parameter and try again."},
    {0x803380CFu, "ERROR_WSMAN_CLIENT_DELIVEREVENTS_NULL_PARAM",
     "The WinRM client cannot process the request. One of the parameters required for the WSManDeliverEvents function is null or zero. Change the request to include the missing parameter and try again."},
    {0x803380D0u, "ERROR_WSMAN_CLIENT_GETBOOKMARK_NULL_PARAM",
     "The WinRM client cannot process the request. One of the parameters required for the WSManGetBookmark function is null or zero. Change the request to include the missing parameter and try again."},
    {0x803380D1u, "ERROR_WSMAN_CLIENT_DECODEOBJECT_NULL_PARAM",
     "The WinRM client cannot process the request. One of the parameters required for the WSManDecodeObject function is null or zero. Change the request to include the missing parameter and try again."},
    {0x803380D2u, "ERROR_WSMAN_CLIENT_ENCODEOBJECT_NULL_PARAM",
     "The WinRM client cannot process the request. One of the parameters required for the WSManEncodeObject(Ex) function is null or zero. Change the request to include the missing parameter and try again."},
    {0x803380D3u, "ERROR_WSMAN_CLIENT_ENUMERATORADDOBJECT_NULL_PARAM",
     "The WinRM client cannot process the request. One of the parameters required for the WSManEnumeratorAddObject function is null or zero. Change the request to include the missing parameter and try again."},
    {0x803380D4u, "ERROR_WSMAN_CLIENT_ENUMERATORNEXTOBJECT_NULL_PARAM",
     "The WinRM client cannot process the request. One of the parameters required for the WSManEnumeratorNextObject function is null or zero. Change the request to include the missing parameter and try again."},
    {0x803380D5u, "ERROR_WSMAN_CLIENT_CONSTRUCTERROR_NULL_PARAM",
     "The WinRM client cannot process the request. One of the parameters required for the WSManConstructError function is null or zero. Change the request to include the missing parameter and try again."},
    {0x803380D6u, "ERROR_WSMAN_SERVER_NONPULLSUBSCRIBE_NULL_PARAM",
     "The WinRM service cannot process the request. Push subscriptions are not supported for local session. Change subscription type to Pull and try again."},
    {0x803380D7u, "ERROR_WSMAN_CLIENT_UNENCRYPTED_HTTP_ONLY",
     "The WinRM client cannot process the request. The unencrypted flag only applies to the HTTP transport. Remove the unencrypted flag or change the transport and try again the request."},
    {0x803380D8u, "ERROR_WSMAN_CANNOT_USE_CERTIFICATES_FOR_HTTP",
     "The WinRM client cannot process the request. Certificate parameters are not valid when the HTTP transport is also specified. Remove the certificate parameters or change the transport and try again the request."},
    {0x803380D9u, "ERROR_WSMAN_CONNECTIONSTR_INVALID",
     "The WinRM client cannot process the request. The connection string should be of the form [<transport>://]<host>[:<port>][/<suffix>] where transport is one of \"http\" or \"https\". Transport, port and suffix are optional. The host may be a hostname or an IP address. For IPv6 addresses, enclose the address in brackets - e.g. \"http://[1::2]:80/wsman\". Change the connection string and try the request again."},
    {0x803380DAu, "ERROR_WSMAN_TRANSPORT_NOT_SUPPORTED",
     "The WinRM client cannot process the request. The connection string contains an unsupported transport. Valid transports are \"http\" or \"https\". Change the connection string and try the request again."},
    {0x803380DBu, "ERROR_WSMAN_PORT_INVALID",
     "The WinRM client cannot process the request because the port specified in the connection string is not valid. Verify the port and retry the request. Valid values are between 1 and 65535. Change the value for port and try the request again."},
    {0x803380DCu, "ERROR_WSMAN_CONFIG_PORT_INVALID",
     "The WinRM client cannot process the request. The port specified in the configuration is invalid. Valid values are between 1 and 65535. Change the value for port and try the request again."},
    {0x803380DDu, "ERROR_WSMAN_SENDHEARBEAT_EMPTY_ENUMERATOR",
     "The WinRM service cannot process the request. WSMAN_FLAG_SEND_HEARTBEAT flag requires the event enumerator to be empty. Change the flag or change the event enumerator and try the request again."},
    {0x803380DEu, "ERROR_WSMAN_CLIENT_UNENCRYPTED_DISABLED",
     "The WinRM client cannot process the request. Unencrypted traffic is currently disabled in the client configuration. Change the client configuration and try the request again."},
    {0x803380DFu, "ERROR_WSMAN_CLIENT_BASIC_AUTHENTICATION_DISABLED",
     "The WinRM client cannot process the request. Basic authentication is currently disabled in the client configuration. Change the client configuration and try the request again."},
    {0x803380E0u, "ERROR_WSMAN_CLIENT_DIGEST_AUTHENTICATION_DISABLED",
     "The WinRM client cannot process the request. Digest authentication is currently disabled in the client configuration. Change the client configuration and try the request again."},
    {0x803380E1u, "ERROR_WSMAN_CLIENT_NEGOTIATE_AUTHENTICATION_DISABLED",
     "The WinRM client cannot process the request. Negotiate authentication is currently disabled in the client configuration. Change the client configuration and try the request again. If this is a request for the local configuration, use one of the enabled authentication mechanisms still enabled. To use Kerberos, specify the local computer name as the remote destination. To use Basic, specify the local computer name as the remote destination, specify Basic authentication and provide user name and password."},
    {0x803380E2u, "ERROR_WSMAN_CLIENT_KERBEROS_AUTHENTICATION_DISABLED",
     "The WinRM client cannot process the request. Kerberos authentication is currently disabled in the client configuration. Change the client configuration and try the request again."},
    {0x803380E3u, "ERROR_WSMAN_CLIENT_CERTIFICATES_AUTHENTICATION_DISABLED",
     "The WinRM client cannot process the request. Certificate authentication is currently disabled in the client configuration. Change the client configuration and try the request again."},
    {0x803380E4u, "ERROR_WSMAN_SERVER_NOT_TRUSTED",
     "The WinRM client cannot process the request. If the authentication scheme is different from Kerberos, or if the client computer is not joined to a domain, then HTTPS transport must be used or the destination machine must be added to the TrustedHosts configuration setting. Use winrm.cmd to configure TrustedHosts. Note that computers in the TrustedHosts list might not be authenticated. You can get more information about that by running the following command: winrm help config."},
    {0x803380E5u, "ERROR_WSMAN_EXPLICIT_CREDENTIALS_REQUIRED",
     "The WinRM client cannot process the request. Default credentials with Negotiate over HTTP can be used only if the target machine is part of the TrustedHosts list or the Allow implicit credentials for Negotiate option is specified."},
    {0x803380E6u, "ERROR_WSMAN_CERT_THUMBPRINT_NOT_BLANK",
     "The WinRM client cannot process the request. The CertificateThumbprint property must be empty when the SSL configuration will be shared with another service."},
    {0x803380E7u, "ERROR_WSMAN_CERT_THUMBPRINT_BLANK",
     "The WinRM client cannot process the request. The CertificateThumbprint property must not be \"\" (blank or empty string) or NULL."},
    {0x803380E8u, "ERROR_WSMAN_CONFIG_CANNOT_SHARE_SSL_CONFIG",
     "The WinRM client cannot process the request. The WinRM client tried to create an SSL configuration for a pair of IP address and port according to the request, but the SSL configuration for that pair is owned by another service and cannot be shared. Use a different IP address and port combination and try the request again."},
    {0x803380E9u, "ERROR_WSMAN_CONFIG_CERT_CN_DOES_NOT_MATCH_HOSTNAME",
     "The WinRM client cannot process the request. The certificate CN and the hostname that were provided do not match."},
    {0x803380EAu, "ERROR_WSMAN_CONFIG_HOSTNAME_CHANGE_WITHOUT_CERT",
     "<not used>"},
    {0x803380EBu, "ERROR_WSMAN_CONFIG_THUMBPRINT_SHOULD_BE_EMPTY",
     "The WinRM client cannot process the request. When HTTP is the transport, the Certificate thumbprint must be blank. HTTP does not use the Certificate thumbprint."},
    {0x803380ECu, "ERROR_WSMAN_INVALID_IPFILTER",
     "The WinRM client cannot process the request. The IP Filter is invalid. Ranges are specified using the syntax IP1-IP2. Multiple ranges are separated using , as delimiter. * is used to indicate that the service should listen on all available IPs on the machine. When * is used, other ranges in the filter are ignored. If filter is blank, the service doesn't listen on any address. For example, if service should be restricted to listen on only IPv4 addresses, IPv6 filter should be left empty.\nExample IPv4 filters: 2.0.0.1-2.0.0.20, 24.0.0.1-24.0.0.22\n Example IPv6 filters: 3FFE:FFFF:7654:FEDA:1245:BA98:0000:0000-3FFE:FFFF:7654:FEDA:1245:BA98:3210:4562"},
    {0x803380EDu, "ERROR_WSMAN_CANNOT_CHANGE_KEYS",
     "The WinRM client cannot process the request. The input XML modifies selectors or keys for the instance. You cannot create a new instance or change the identity of an instance by changing the keys. Change the input XML and try the request again."},
    {0x803380EEu, "ERROR_WSMAN_CERT_INVALID_USAGE",
     "The WinRM client cannot process the request. The Enhanced Key Usage (EKU) field of the certificate is not set to \"Server Authentication\". Retry the request with a certificate that has the correct EKU."},
    {0x803380EFu, "ERROR_WSMAN_RESPONSE_NO_RESULTS",
     "The WinRM client cannot process the request. The response from the destination computer does not include any results."},
    {0x803380F0u, "ERROR_WSMAN_CREATE_RESPONSE_NO_EPR",
     "The WinRM client cannot process the request. The response to a create request did not contain a valid end point reference. The ResourceCreated element was not found or did not contain valid content."},
    {0x803380F1u, "ERROR_WSMAN_RESPONSE_INVALID_ENUMERATION_CONTEXT",
     "The WinRM client cannot process the request. The response from the destination computer does not contain a valid SOAP enumeration context."},
    {0x803380F2u, "ERROR_WSMAN_RESPONSE_NO_XML_FRAGMENT_WRAPPER",
     "The WinRM client cannot process the request. The response from the destination computer contains a WS-Management FragmentTransfer header but the content of the body is not wrapped by the WS-Management XmlFragment wrapper."},
    {0x803380F3u, "ERROR_WSMAN_RESPONSE_INVALID_MESSAGE_INFORMATION_HEADER",
     "The WinRM client cannot process the request. The response from the destination computer contains one or more invalid SOAP headers."},
    {0x803380F4u, "ERROR_WSMAN_RESPONSE_NO_SOAP_HEADER_BODY",
     "The WinRM client cannot process the request. It cannot find any SOAP Headers or Body elements in the response from the destination computer."},
    {0x803380F5u, "ERROR_WSMAN_HTTP_NO_RESPONSE_DATA",
     "The WinRM client cannot process the request. The destination computer returned an empty response to the request."},
    {0x803380F6u, "ERROR_WSMAN_RESPONSE_INVALID_SOAP_FAULT",
     "The WinRM client cannot process the request. The destination computer returned an invalid SOAP fault."},
    {0x803380F7u, "ERROR_WSMAN_HTTP_INVALID_CONTENT_TYPE_IN_RESPONSE_DATA",
     "The WinRM client cannot process the request. It cannot determine the content type of the HTTP response from the destination computer. The content type is absent or invalid."},
    {0x803380F8u, "ERROR_WSMAN_HTTP_CONTENT_TYPE_MISSMATCH_RESPONSE_DATA",
     "The WinRM client cannot process the request. The HTTP response from the destination computer was not in the same format as the request. A Unicode request packet may have been sent and an ANSI packet received."},
    {0x803380F9u, "ERROR_WSMAN_CANNOT_DECRYPT",
     "The WinRM client cannot process the request. The encrypted message body has an invalid format and cannot be decrypted. Ensure that the service is encrypting the message body according to the specifications."},
    {0x803380FAu, "ERROR_WSMAN_INVALID_URI_WMI_SINGLETON",
     "The WinRM client cannot process the request. The resource URI is not valid: it does not contain keys, but the class selected is not a singleton. To access an instance which is not a singleton, keys must be provided. Use the following command to get more information in how to construct a resource URI: \"winrm help uris\"."},
    {0x803380FBu, "ERROR_WSMAN_INVALID_URI_WMI_ENUM_WQL",
     "The WinRM client cannot process the request. The resource URI for an enumeration operation with WQL filter must not contain keys and the class name must be '*' (star). Use the following command to get more information in how to construct a resource URI: \"winrm help uris\"."},
    {0x803380FCu, "ERROR_WSMAN_NO_IDENTIFY_FOR_LOCAL_SESSION",
     "The WS-Management identification operation is only available on remote sessions."},
    {0x803380FDu, "ERROR_WSMAN_NO_PUSH_SUBSCRIPTION_FOR_LOCAL_SESSION",
     "Subscribe operation with Push delivery mode is only available on remote sessions."},
    {0x803380FEu, "ERROR_WSMAN_INVALID_SUBSCRIPTION_MANAGER",
     "The subscription manager address is invalid. The response was not received from the address to which the subscription request was sent."},
    {0x803380FFu, "ERROR_WSMAN_NON_PULL_SUBSCRIPTION_NOT_SUPPORTED",
     "Only subscriptions with Pull delivery mode are supported by the plugin."},
    {0x80338100u, "ERROR_WSMAN_WMI_MAX_NESTED",
     "WinRM cannot process the request because the WMI object contains too many levels of nested embedded objects."},
    {0x80338101u, "ERROR_WSMAN_REMOTE_CIMPATH_NOT_SUPPORTED",
     "The WS-Management service cannot process the request. It does not support retrieving a WMI object that contains a property of type CIM_REFERENCE and the value of that property contains a remote machine name."},
    {0x80338102u, "ERROR_WSMAN_WMI_PROVIDER_NOT_CAPABLE",
     "The WS-Management service cannot process the request. The WMI service reported that the WMI provider could not perform the requested operation."},
    {0x80338103u, "ERROR_WSMAN_WMI_INVALID_VALUE",
     "The WS-Management service cannot process the request. A value retrieved from the WMI service or the WMI provider is invalid."},
    {0x80338104u, "ERROR_WSMAN_WMI_SVC_ACCESS_DENIED",
     "The WS-Management service cannot process the request. The WMI service returned an 'access denied' error."},
    {0x80338105u, "ERROR_WSMAN_WMI_PROVIDER_ACCESS_DENIED",
     "The WS-Management service cannot process the request. The WMI provider returned an 'access denied' error."},
    {0x80338106u, "ERROR_WSMAN_WMI_CANNOT_CONNECT_ACCESS_DENIED",
     "The WS-Management service cannot process the request. An 'access denied' error was received when connecting to the WMI service on the computer specified."},
    {0x80338107u, "ERROR_WSMAN_INVALID_FILTER_XML",
     "The WS-Management service cannot process the request because the filter XML is invalid."},
    {0x80338108u, "ERROR_WSMAN_ENUMERATE_WMI_INVALID_KEY",
     "The WS-Management service cannot process the request. The resource URI for an Enumerate operation must not contain keys."},
    {0x80338109u, "ERROR_WSMAN_INVALID_FRAGMENT_PATH_BLANK",
     "Cannot execute the Fragment-Level operation because the fragment path contains either \"\" (blank or empty string) or NULL. Change the value of the fragment path and try the request again."},
    {0x8033810Au, "ERROR_WSMAN_INVALID_CHARACTERS_IN_RESPONSE",
     "The WinRM client cannot process the request. The response received from the destination machine contains invalid characters and cannot be processed."},
    {0x8033810Bu, "ERROR_WSMAN_KERBEROS_IPADDRESS",
     "The WinRM client cannot process the request. Kerberos authentication cannot be used when the destination is an IP address. Specify a DNS or NetBIOS destination or specify Basic or Negotiate authentication."},
    {0x8033810Cu, "ERROR_WSMAN_CLIENT_WORKGROUP_NO_KERBEROS",
     "The WinRM client cannot process the request. Kerberos authentication cannot be used with implicit credentials if the client computer is not joined to a domain. Use explicit credentials or specify a different authentication mechanism than Kerberos."},
    {0x8033810Du, "ERROR_WSMAN_INVALID_BATCH_SETTINGS_PARAMETER",
     "The WinRM client cannot process the request. The batch settings parameter is invalid."},
    {0x8033810Eu, "ERROR_WSMAN_SERVER_DESTINATION_LOCALHOST",
     "The WinRM client cannot process the request. If you do not specify an authentication mechanism or you specify Kerberos, then you cannot use \"localhost\" or \"127.0.0.1\" or \"[::1]\" for the remote host name. You can explicitly specify a different authentication mechanism than Kerberos or specify the remote host as a DNS name or NetBIOS name."},
    {0x8033810Fu, "ERROR_WSMAN_UNKNOWN_HTTP_STATUS_RETURNED",
     "The WinRM client received an unknown HTTP status code from the remote WS-Management service."},
    {0x80338110u, "ERROR_WSMAN_UNSUPPORTED_HTTP_STATUS_REDIRECT",
     "The WinRM client received a HTTP redirect status code from the remote WS-Management service. WinRM does not support redirects."},
    {0x80338111u, "ERROR_WSMAN_HTTP_REQUEST_TOO_LARGE_STATUS",
     "The WinRM client sent a request to the remote WS-Management service and was notified that the request size exceeded the configured MaxEnvelopeSize quota."},
    {0x80338112u, "ERROR_WSMAN_HTTP_SERVICE_UNAVAILABLE_STATUS",
     "The connection to the specified remote host was refused. Verify that the WS-Management service is running on the remote host and configured to listen for requests on the correct port and HTTP URL."},
    {0x80338113u, "ERROR_WSMAN_HTTP_NOT_FOUND_STATUS",
     "The WinRM client sent a request to an HTTP server and got a response saying the requested HTTP URL was not available. This is usually returned by a HTTP server that does not support the WS-Management protocol."},
    {0x80338114u, "ERROR_WSMAN_EVENTING_MISSING_LOCALE_IN_DELIVERY",
     "The subscribe packet had a Locale element with missing lang attribute. The lang attribute is required for the Locale element."},
    {0x80338115u, "ERROR_WSMAN_QUICK_CONFIG_FAILED_CERT_REQUIRED",
     "Cannot create a WinRM listener on HTTPS because this machine does not have an appropriate certificate. To be used for SSL, a certificate must have a CN matching the hostname, be appropriate for Server Authentication, and not be expired, revoked, or self-signed."},
    {0x80338116u, "ERROR_WSMAN_QUICK_CONFIG_FIREWALL_EXCEPTIONS_DISALLOWED",
     "Firewall does not allow exceptions; WinRM cannot be setup for remote access."},
    {0x80338117u, "ERROR_WSMAN_QUICK_CONFIG_LOCAL_POLICY_CHANGE_DISALLOWED",
     "The Windows Remote Management (WinRM) service cannot be configured for remote access because Group Policy does not allow local firewall changes. Check the Group Policy settings to allow local firewall exceptions and add WinRM to the firewall exceptions."},
    {0x80338118u, "ERROR_WSMAN_INVALID_SELECTOR_NAME",
     "The WinRM client cannot process the request because the selector name is not valid. Change the selector name and retry the request."},
    {0x80338119u, "ERROR_WSMAN_ENCODING_TYPE",
     "The WS-Management service does not support the encoding type specified."},
    {0x8033811Au, "ERROR_WSMAN_ENDPOINT_UNAVAILABLE_INVALID_VALUE",
     "The WS-Management service cannot process the request because the selector values do not match a known resource, or the resource is offline. Retry the request later when the resource is online, or try a different selector."},
    {0x8033811Bu, "ERROR_WSMAN_INVALID_HEADER",
     "The WS-Management service cannot process the request because the a header in the request is invalid."},
    {0x8033811Cu, "ERROR_WSMAN_ENUMERATE_UNSUPPORTED_EXPIRATION_TYPE",
     "The expiration time specified for enumeration was invalid. Specify the expiration time as a duration."},
    {0x8033811Du, "ERROR_WSMAN_MAX_ELEMENTS_NOT_SUPPORTED",
     "The WS-Management service received a request which specified a maximum number of elements, but the service does not support this feature. Retry the request without this element specified."},
    {0x8033811Eu, "ERROR_WSMAN_WMI_PROVIDER_INVALID_PARAMETER",
     "The WS-Management service cannot process the request. The WMI provider returned an 'invalid parameter' error."},
    {0x8033811Fu, "ERROR_WSMAN_CLIENT_MULTIPLE_ENUM_MODE_FLAGS",
     "The WinRM client cannot process the request. The request must contain one and only one enumeration mode. Change the request to contain only one enumeration mode and try again."},
    {0x80338120u, "ERROR_WINRS_CLIENT_INVALID_FLAG",
     "The WinRS client cannot process the request. An invalid flag was specified for this request. Remove or change the invalid flag and try the request again."},
    {0x80338121u, "ERROR_WINRS_CLIENT_NULL_PARAM",
     "The WinRS client cannot process the request. One of the parameters required is null or zero. Change the request to include the missing parameter and try again."},
    {0x80338122u, "ERROR_WSMAN_CANNOT_PROCESS_FILTER",
     "The data source could not process the filter. The filter might be missing, invalid or too complex to process. If a service only supports a subset of a filter dialect (such as XPath level 1), it may return this fault for valid filter expressions outside of the supported subset. Change the filter and try the request again."},
    {0x80338123u, "ERROR_WSMAN_CLIENT_ENUMERATORADDEVENT_NULL_PARAM",
     "The WinRM client cannot process the request. One of the parameters required for the WSManEnumeratorAddEvent function is null or zero. Change the request to include the missing parameter and try again."},
    {0x80338124u, "ERROR_WSMAN_ADDOBJECT_MISSING_OBJECT",
     "The WinRM client cannot process the request. The object parameter for the WSManEnumeratorAddObject function is null or zero, but the enumeration mode is Object or ObjectAndEPR."},
    {0x80338125u, "ERROR_WSMAN_ADDOBJECT_MISSING_EPR",
     "The WinRM client cannot process the request. The EPR parameter for the WSManEnumeratorAddObject function is null or zero, but the enumeration mode is EPR or ObjectAndEPR."},
    {0x80338126u, "ERROR_WSMAN_NETWORK_TIMEDOUT",
     "WinRM cannot complete the operation. Verify that the specified computer name is valid, that the computer is accessible over the network, and that a firewall exception for the WinRM service is enabled and allows access from this computer. By default, the WinRM firewall exception for public profiles limits access to remote computers within the same local subnet."},
    {0x80338127u, "ERROR_WINRS_RECEIVE_IN_PROGRESS",
     "Not used. To be removed."},
    {0x80338128u, "ERROR_WINRS_RECEIVE_NO_RESPONSE_DATA",
     "The WinRS client cannot process the Receive request because the shell plugin returned an empty response to the request."},
    {0x80338129u, "ERROR_WINRS_CLIENT_CREATESHELL_NULL_PARAM",
     "The WinRM Shell client cannot process the request. One of the parameters required for the WSManCreateShell function is null or zero. Change the request to include the missing parameter and try again."},
    {0x8033812Au, "ERROR_WINRS_CLIENT_CLOSESHELL_NULL_PARAM",
     "The WinRM Shell client cannot process the request. One of the parameters required for the WinrsCloseShell function is null or zero. Change the request to include the missing parameter and try again."},
    {0x8033812Bu, "ERROR_WINRS_CLIENT_FREECREATESHELLRESULT_NULL_PARAM",
     "The WinRS client cannot process the request. The parameter required for the WinrsFreeCreateShellResult function is null or zero. Change the request to include the missing parameter and try again."},
    {0x8033812Cu, "ERROR_WINRS_CLIENT_RUNCOMMAND_NULL_PARAM",
     "The WinRM Shell client cannot process the request. One of the parameters required for the WSManRunShellCommand function is null or zero. Change the request to include the missing parameter and try again."},
    {0x8033812Du, "ERROR_WINRS_CLIENT_FREERUNCOMMANDRESULT_NULL_PARAM",
     "The WinRS client cannot process the request. The parameter required for the WinrsFreeRunCommandResult function is null or zero. Change the request to include the missing parameter and try again."},
    {0x8033812Eu, "ERROR_WINRS_CLIENT_SIGNAL_NULL_PARAM",
     "The WinRM Shell client cannot process the request. One of the parameters required for the WSManSignalShell function is null or zero. Change the request to include the missing parameter and try again."},
    {0x8033812Fu, "ERROR_WINRS_CLIENT_RECEIVE_NULL_PARAM",
     "The WinRM Shell client cannot process the request. One of the parameters required for the WSMansReceiveShellOutput function is null or zero. Change the request to include the missing parameter and try again."},
    {0x80338130u, "ERROR_WINRS_CLIENT_FREEPULLRESULT_NULL_PARAM",
     "The WinRS client cannot process the request. The parameter required for the WinrsFreePullResult function is null or zero. Change the request to include the missing parameter and try again."},
    {0x80338131u, "ERROR_WINRS_CLIENT_PULL_NULL_PARAM",
     "The WinRS client cannot process the request. One of the parameters required for the WinrsPull function is null or zero. Change the request to include the missing parameter and try again."},
    {0x80338132u, "ERROR_WINRS_CLIENT_CLOSERECEIVEHANDLE_NULL_PARAM",
     "The WinRS client cannot process the request. The parameter required for the WinrsCloseReceiveHandle function is null or zero. Change the request to include the missing parameter and try again."},
    {0x80338133u, "ERROR_WINRS_CLIENT_SEND_NULL_PARAM",
     "The WinRM Shell client cannot process the request. One of the parameters required for the WSManSendShellInput function is null or zero. Change the request to include the missing parameter and try again."},
    {0x80338134u, "ERROR_WINRS_CLIENT_PUSH_NULL_PARAM",
     "The WinRS client cannot process the request. One of the parameters required for the WinrsPush function is null or zero. Change the request to include the missing parameter and try again."},
    {0x80338135u, "ERROR_WINRS_CLIENT_CLOSESENDHANDLE_NULL_PARAM",
     "The WinRS client cannot process the request. The parameter required for the WinrsCloseSendHandle function is null or zero. Change the request to include the missing parameter and try again."},
    {0x80338136u, "ERROR_WINRS_CLIENT_GET_NULL_PARAM",
     "The WinRS client cannot process the request. One of the parameters required for the WinrsGet function is null or zero. Change the request to include the missing parameter and try again."},
    {0x80338137u, "ERROR_WSMAN_POLYMORPHISM_MODE_UNSUPPORTED",
     "The WS-Management service does not support the specified polymorphism mode. Try changing the polymorphism mode specified, and try again."},
    {0x80338138u, "ERROR_WSMAN_REQUEST_NOT_SUPPORTED_AT_SERVICE",
     "The WS-Management service cannot process the request because the specified URI is not supported on the service side. Retry the request with local session."},
    {0x80338139u, "ERROR_WSMAN_URI_NON_DMTF_CLASS",
     "The WS-Management service cannot process the request. A DMTF resource URI was used to access a non-DMTF class. Try again using a non-DMTF resource URI."},
    {0x8033813Au, "ERROR_WSMAN_URI_WRONG_DMTF_VERSION",
     "The WS-Management service cannot process the request. The DMTF class in the repository uses a different major version number from the requested class. This class can be accessed using a non-DMTF resource URI."},
    {0x8033813Bu, "ERROR_WSMAN_DIFFERENT_CIM_SELECTOR",
     "The WS-Management service cannot process the request. The resource URI and __cimnamespace selector attempted to use different namespaces. Try removing the __cimnamespace selector or using a DMTF resource URI. If a non-DMTF resource URI is used with a __cimnamespace selector, the namespaces must match."},
    {0x8033813Cu, "ERROR_WSMAN_PUSHSUBSCRIPTION_INVALIDUSERACCOUNT",
     "The WS-Management client cannot process the request. To use the WSManSubscribe API the user has to be running under Network Service account. No other account is supported currently for push subscriptions."},
    {0x8033813Du, "ERROR_WSMAN_EVENTING_NONDOMAINJOINED_PUBLISHER",
     "The WS-Management client cannot process the request. The event source machine is not joined to a domain. To set up a push subscription session to an event source the source has to be connected to a domain. To fix this problem either join the event source machine to a domain or use PULL as the delivery mode for the subscription."},
    {0x8033813Eu, "ERROR_WSMAN_EVENTING_NONDOMAINJOINED_COLLECTOR",
     "The WS-Management client cannot process the request. The subscriber machine is not joined to a domain. To set up a push subscription session to an event source, the subscriber machine has to be connected to a domain. To fix this problem either join the subscriber machine to a domain or use PULL as the delivery mode for the subscription."},
    {0x8033813Fu, "ERROR_WSMAN_CONFIG_READONLY_PROPERTY",
     "The WinRM client cannot process the request because it is trying to update a read-only setting. Remove this setting from the command and try again."},
    {0x80338140u, "ERROR_WINRS_CODE_PAGE_NOT_SUPPORTED",
     "The WinRS client cannot process the request. The server cannot set Code Page. You may want to use the CHCP command to change the client Code Page to 437 and receive the results in English."},
    {0x80338141u, "ERROR_WSMAN_CLIENT_DISABLE_LOOPBACK_WITH_EXPLICIT_CREDENTIALS",
     "Not used. To be removed."},
    {0x80338142u, "ERROR_WSMAN_CLIENT_INVALID_DISABLE_LOOPBACK",
     "Not used. To be removed."},
    {0x80338143u, "ERROR_WSMAN_CLIENT_ENUM_RECEIVED_TOO_MANY_ITEMS",
     "The WS-Management client received too many results from the server. The server implementation should never return more items than are specified by the client."},
    {0x80338144u, "ERROR_WSMAN_MULTIPLE_CREDENTIALS",
     "The WinRM client cannot process the request. A certificate thumbprint was specified together with a user name or password. Only one credentials type can be specified. Remove the credentials type that does not correspond to the intended authentication mechanism and retry the request."},
    {0x80338145u, "ERROR_WSMAN_AUTHENTICATION_INVALID_FLAG",
     "The WinRM client cannot process the request. The flag that specifies the authentication mechanism to use is incorrect. Remove or change the invalid flag and try the request again."},
    {0x80338146u, "ERROR_WSMAN_CLIENT_CREDENTIALS_FOR_DEFAULT_AUTHENTICATION",
     "The WinRM client cannot process the request. When an authentication mechanism is not specified, only user name and password credentials are allowed. If you want to use a different type of credentials then you need to specify the authentication mechanism. Specify the authentication mechanism or the correct credentials and try the request again."},
    {0x80338147u, "ERROR_WSMAN_CLIENT_USERNAME_AND_PASSWORD_NEEDED",
     "The WinRM client cannot process the request. For authentication mechanisms that require the credentials of an user account, both user name and password must be specified. Specify the missing user name or password and try the request again."},
    {0x80338148u, "ERROR_WSMAN_CLIENT_INVALID_CERT_DNS_OR_UPN",
     "The WinRM client cannot process the request. If you are using a machine certificate, it must contain a DNS name in the Subject Alternative Name extension or in the Subject Name field, and no UPN name. If you are using a user certificate, the Subject Alternative Name extension must contain a UPN name and must not contain a DNS name. Change the certificate structure and try the request again."},
    {0x80338149u, "ERROR_WSMAN_CREATESHELL_NULL_ENVIRONMENT_VARIABLE_NAME",
     "The WinRM Shell client cannot process the request. One of the environment variable name passed to the WSManCreateShell function is null or zero. Change the request to include the missing parameter and try again."},
    {0x8033814Au, "ERROR_WSMAN_SHELL_ALREADY_CLOSED",
     "An operation is being attempted on a shell that is being closed. This can happen if the shell that is being used is also being closed by another thread."},
    {0x8033814Bu, "ERROR_WSMAN_CREATESHELL_NULL_STREAMID",
     "The WinRM Shell client cannot process the request. One of the stream id name passed to the WSManCreateShell function is null or zero. Change the request to include the missing parameter and try again."},
    {0x8033814Cu, "ERROR_WSMAN_SHELL_INVALID_SHELL_HANDLE",
     "The WinRM Shell client cannot process the request. The shell handle passed to the WSMan Shell function is not valid. The shell handle is valid only when WSManCreateShell function completes successfully. Change the request including a valid shell handle and try again."},
    {0x8033814Du, "ERROR_WSMAN_SHELL_INVALID_COMMAND_HANDLE",
     "The WinRM Shell client cannot process the request. The command handle passed to the WSMan Shell function is not valid. The command handle is valid only when WSManRunShellCommand function completes successfully. Change the request including a valid shell handle and try again."},
    {0x8033814Eu, "ERROR_WSMAN_RUNSHELLCOMMAND_NULL_ARGUMENT",
     "The WinRM Shell client cannot process the request. One of the argument value passed to the WSManRunShellCommand function is null or zero. Change the request to include the missing parameter and try again."},
    {0x8033814Fu, "ERROR_WSMAN_COMMAND_ALREADY_CLOSED",
     "An operation is being attempted on a command that is being closed. This can happen if the command handle that is being used is also being freed by another thread."},
    {0x80338150u, "ERROR_WSMAN_SENDSHELLINPUT_INVALID_STREAMID_INDEX",
     "The WinRM Shell client cannot process the request. The stream id index from within WSMAN_STREAM_ELEMENT passed to the WSManSendShellInput function is invalid. The stream id index should be an index from within inputStreamSet array passed to the WSManCreateShell function. Change the request with a valid index and try again."},
    {0x80338151u, "ERROR_WSMAN_SHELL_SYNCHRONOUS_NOT_SUPPORTED",
     "Not used. To be removed."},
    {0x80338152u, "ERROR_WSMAN_NO_CERTMAPPING_OPERATION_FOR_LOCAL_SESSION",
     "The WS-Management operations to update the certificate mapping store of the WINRM service config can only be done remotely."},
    {0x80338153u, "ERROR_WSMAN_CERTMAPPING_CONFIGLIMIT_EXCEEDED",
     "The WINRM certificate mapping configuration store has reached an internal limit and cannot create any more entries. Remove some entries and try again."},
    {0x80338154u, "ERROR_WSMAN_CERTMAPPING_INVALIDUSERCREDENTIALS",
     "The WINRM certificate mapping configuration operation cannot be completed because the user credentials could not be verified. Please check the username and password used for mapping this certificate and verify that it is a non-domain account and try again."},
    {0x80338155u, "ERROR_WSMAN_CERT_INVALID_USAGE_CLIENT",
     "The WinRM client cannot process the request. The Enhanced Key Usage (EKU) field of the certificate is not set to \"Client Authentication\". Retry the request with a certificate that has the correct EKU."},
    {0x80338156u, "ERROR_WSMAN_CERT_MISSING_AUTH_FLAG",
     "The WinRM client cannot process the request. A certificate thumbprint was specified, but the following flag is missing: WSManFlagUseClientCertificate. Add the flag and try the request again."},
    {0x80338157u, "ERROR_WSMAN_CERT_MULTIPLE_CREDENTIALS_FLAG",
     "The WinRM client cannot process the request. The following flags cannot be specified together: WSManFlagUseClientCertificate and WSManFlagCredUsernamePassword. Remove one of the flags and try the request again."},
    {0x80338158u, "ERROR_WSMAN_CONFIG_SHELL_URI_INVALID",
     "The WinRM client cannot process the request because the CustomRemoteShell URI specified is invalid. CustomRemoteShell URI should start with WinRM shell resource URI prefix: \"http://schemas.microsoft.com/wbem/wsman/1/windows/shell\". The URI should not contain invalid characters including '*', '?', white spaces and tabs. The CustomRemoteShell URI cannot be longer than 1023 characters."},
    {0x80338159u, "ERROR_WSMAN_CONFIG_SHELL_URI_CMDSHELLURI_NOTPERMITTED",
     "The WinRM client cannot process the request because the CustomRemoteShell URI specified is invalid. Windows command shell URI (\"http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd\") cannot be a CustomRemoteShell URI."},
    {0x8033815Au, "ERROR_WSMAN_CONFIG_SHELLURI_INVALID_PROCESSPATH",
     "The WinRM client cannot process the request because the process path specified for the CustomRemoteShell table entry is invalid. The process path should be absolute and should point to an existing executable."},
    {0x8033815Bu, "ERROR_WINRS_SHELL_URI_INVALID",
     "Not used. To be removed."},
    {0x8033815Cu, "ERROR_WSMAN_INVALID_SECURITY_DESCRIPTOR",
     "The WinRM client cannot process the request because the provided security descriptor is invalid."},
    {0x8033815Du, "ERROR_WSMAN_POLICY_TOO_COMPLEX",
     "The WinRM service cannot process the request because the WS-Policy contained in the DeliverTo is too complex or uses a structure not understood by the service. The WinRM service supports a single layer of policy assertions underneath a wsp:ExactlyOne element."},
    {0x8033815Eu, "ERROR_WSMAN_POLICY_CANNOT_COMPLY",
     "The WinRM service cannot process the request because the WS-Policy contained in the DeliverTo does not contain any options that the service can comply with. The WinRM service supports the following profiles: Negotiate or Kerberos over HTTP, Negotiate or Kerberos over HTTPS, and mutual certificate authentication over HTTPS using issuer thumbprints."},
    {0x8033815Fu, "ERROR_WSMAN_INVALID_CONNECTIONRETRY",
     "The WinRM service cannot process the request because the wsman:ConnectionRetry element in the DeliverTo is invalid."},
    {0x80338160u, "ERROR_WSMAN_URISECURITY_INVALIDURIKEY",
     "WinRM cannot make the configuration change. The URI supplied for the certificate mapping operation is not valid. It must contain at least one character. It must not contain internal whitespace. It must not contain '?' character. A prefix may be specified by using \"*\" as the last character. The URI cannot be longer than 1023 characters."},
    {0x80338161u, "ERROR_WSMAN_CERTMAPPING_INVALIDSUBJECTKEY",
     "WinRM cannot make the configuration change. The Subject used for the certificate mapping operation is not valid. It must contain at least one character. It must contain at most one \"*\" character which should be the first character. (This may be the only character in which case it matches all subjects). The Subject cannot be longer than 1023 characters."},
    {0x80338162u, "ERROR_WSMAN_CERTMAPPING_INVALIDISSUERKEY",
     "WinRM cannot make the configuration change because the Issuer used for the certificate mapping operation is not valid. The certificate identified by the issuer thumbprint must be present in the machine \"Trusted Root Certification Authorities\" or \"Intermediate Certification Authorities\" store. The certificate must have key usage that allows it to sign other certificates."},
    {0x80338163u, "ERROR_WSMAN_INVALID_PUBLISHERS_TYPE",
     "The WinRM client cannot process the request because the type field in the WSMAN_ALLOWED_PUBLISHERS argument is invalid. Collector-initiated subscriptions must use WSMAN_SINGLE_PUBLISHER and Source-initiated subscriptions must use WSMAN_MULTIPLE_PUBLISHERS."},
    {0x80338164u, "ERROR_WSMAN_CLIENT_INVALID_DELIVERY_RETRY",
     "The WinRM client cannot process the request because the delivery retry parameters are invalid. If delivery retry is requested, the deliveryRetryInterval and deliveryRetryAttempts fields must both be nonzero."},
    {0x80338165u, "ERROR_WSMAN_CLIENT_NULL_PUBLISHERS",
     "The WinRM client cannot process the request. The required WSMAN_ALLOWED_PUBLISHERS settings is null or zero. Change the request to include the missing parameter and try again."},
    {0x80338166u, "ERROR_WSMAN_CLIENT_NULL_ISSUERS",
     "The WinRM client cannot process the request because client certificate subject filters were specified without any issuers. When using client certificate authentication, specify at least one issuer thumbprint."},
    {0x80338167u, "ERROR_WSMAN_CLIENT_NO_SOURCES",
     "The WinRM client cannot process the request because the subscription contains no domain or non-domain sources. Subscriptions using WSMAN_MULTIPLE_PUBLISHERS must specify either a security descriptor or an issuer list or both."},
    {0x80338168u, "ERROR_WSMAN_INVALID_SUBSCRIBE_OBJECT",
     "The WinRM service cannot process the request because the subscription manager returned invalid enumeration results. The m:Subscription XML object or m:Version element is missing or invalid."},
    {0x80338169u, "ERROR_WSMAN_PUBLIC_FIREWALL_PROFILE_ACTIVE",
     "WinRM firewall exception will not work since one of the network connection types on this machine is set to Public. Change the network connection type to either Domain or Private and try again."},
    {0x8033816Au, "ERROR_WSMAN_CERTMAPPING_PASSWORDTOOLONG",
     "WinRM cannot make the configuration change. The Password used for updating the certificate mapping configuration is not valid. It cannot be longer than 255 characters."},
    {0x8033816Bu, "ERROR_WSMAN_CERTMAPPING_PASSWORDBLANK",
     "WinRM cannot make the configuration change. The Password used for updating the certificate mapping configuration is not valid. A user account used for configuring a certificate mapping cannot have a blank password."},
    {0x8033816Cu, "ERROR_WSMAN_CERTMAPPING_PASSWORDUSERTUPLE",
     "WinRM cannot make the configuration change. The credential used for updating or creating the certificate mapping configuration is not valid. The credential consists of both Password and UserName being supplied together in a pair."},
    {0x8033816Du, "ERROR_WSMAN_INVALID_PROVIDER_RESPONSE",
     "The WinRM service executed an operation and the provider returned inconclusive information regarding success or failure of the operation. The status was marked as failed, but no error code was given."},
    {0x8033816Eu, "ERROR_WSMAN_SHELL_NOT_INITIALIZED",
     "The WS-Management service on the remote machine cannot process the shell request. This can happen if the WS-Management service on the remote machine was being shutdown. To correct this problem restart the WS-Management service on the remote machine and re-send the shell request."},
    {0x8033816Fu, "ERROR_WSMAN_CONFIG_SHELLURI_INVALID_OPERATION_ON_KEY",
     "The WinRM service cannot process the request. The URI parameter is the key to CustomRemoteShell table and cannot be modified."},
    {0x80338170u, "ERROR_WSMAN_HTTP_STATUS_SERVER_ERROR",
     "The WinRM client received an HTTP server error status (500), but the remote service did not include any other information about the cause of the failure."},
    {0x80338171u, "ERROR_WSMAN_HTTP_STATUS_BAD_REQUEST",
     "The WinRM client received an HTTP bad request status (400), but the remote service did not include any other information about the cause of the failure."},
    {0x80338172u, "ERROR_WSMAN_CONFIG_CANNOT_CHANGE_CERTMAPPING_KEYS",
     "The WinRM service cannot make the configuration change. The selector keys of Subject, URI or Issuer cannot be changed by overriding the selector key value in the body."},
    {0x80338173u, "ERROR_WSMAN_HTML_ERROR",
     "The WinRM client cannot process the request because it received an HTML error packet."},
    {0x80338174u, "ERROR_WSMAN_CLIENT_INITIALIZE_NULL_PARAM",
     "The WinRM client cannot process the request. One of the parameters required for the WSManInitialize function is null or zero. Change the request to include the missing parameter and try again."},
    {0x80338175u, "ERROR_WSMAN_CLIENT_INVALID_INIT_APPLICATION_FLAG",
     "The WinRM client cannot process the request. An invalid flag was specified for the WSManInitialize API call. Remove or change the invalid flag and try the call again."},
    {0x80338176u, "ERROR_WSMAN_CLIENT_INVALID_DEINIT_APPLICATION_FLAG",
     "The WinRM client cannot process the request. An invalid flag was specified for the WSManDeinitialize API call. Remove or change the invalid flag and try the call again."},
    {0x80338177u, "ERROR_WSMAN_CLIENT_SETSESSIONOPTION_NULL_PARAM",
     "The WinRM client cannot process the request. One of the parameters required for the WSManSetSessionOption function is null or zero. Change the request to include the missing parameter and try again."},
    {0x80338178u, "ERROR_WSMAN_CLIENT_SETSESSIONOPTION_INVALID_PARAM",
     "The WinRM client cannot process the request. One of the parameters required for the WSManSetSessionOption function is invalid. Change the invalid parameter and try again."},
    {0x80338179u, "ERROR_WSMAN_CLIENT_GETSESSIONOPTION_INVALID_PARAM",
     "The WinRM client cannot process the request. One of the parameters required to get a session option is invalid. Change the invalid parameter and try again."},
    {0x8033817Au, "ERROR_WSMAN_CLIENT_CREATESHELL_NULL_PARAM",
     "The WinRM Shell client cannot process the request. One of the parameters required for the WSManCreateShell function is null or zero. Change the request to include the missing parameter and try again."},
    {0x8033817Bu, "ERROR_WSMAN_CLIENT_INVALID_CREATE_SHELL_FLAG",
     "The WinRM client cannot process the request. An invalid flag was specified for the WSManCreateShell API call. Remove or change the invalid flag and try the call again."},
    {0x8033817Cu, "ERROR_WSMAN_CLIENT_INVALID_CLOSE_SHELL_FLAG",
     "The WinRM client cannot process the request. An invalid flag was specified for the WSManCloseShell API call. Remove or change the invalid flag and try the call again."},
    {0x8033817Du, "ERROR_WSMAN_CLIENT_INVALID_CLOSE_COMMAND_FLAG",
     "The WinRM client cannot process the request. An invalid flag was specified for the WSManCloseCommand API call. Remove or change the invalid flag and try the call again."},
    {0x8033817Eu, "ERROR_WSMAN_CLIENT_CLOSESHELL_NULL_PARAM",
     "The WinRM Shell client cannot process the request. One of the parameters required for the WSManCloseShell function is null or zero. Change the request to include the missing parameter and try again."},
    {0x8033817Fu, "ERROR_WSMAN_CLIENT_CLOSECOMMAND_NULL_PARAM",
     "The WinRM Shell client cannot process the request. One of the parameters required for the WSManCloseCommand function is null or zero. Change the request to include the missing parameter and try again."},
    {0x80338180u, "ERROR_WSMAN_CLIENT_RUNCOMMAND_NULL_PARAM",
     "The WinRM Shell client cannot process the request. One of the parameters required for the WSManRunShellCommand function is null or zero. Change the request to include the missing parameter and try again."},
    {0x80338181u, "ERROR_WSMAN_CLIENT_INVALID_RUNCOMMAND_FLAG",
     "The WinRM client cannot process the request. An invalid flag was specified for the WSManRunShellCommand API call. Remove or change the invalid flag and try the call again."},
    {0x80338182u, "ERROR_WSMAN_CLIENT_RUNCOMMAND_NOTCOMPLETED",
     "The WinRM client cannot process the request. You must wait for the WSManRunShellCommand API call to complete before calling WSManCloseShellOperationEx API."},
    {0x80338183u, "ERROR_WSMAN_NO_COMMAND_RESPONSE",
     "The WinRM client cannot process the request. The response to a Command request did not contain a valid CommandResponse element. The CommandResponse element was not found or did not contain valid content."},
    {0x80338184u, "ERROR_WSMAN_INVALID_OPTIONSET",
     "The WinRM client cannot process the request. The OptionSet element is invalid. Change the request to include a valid OptionSet element and try again."},
    {0x80338185u, "ERROR_WSMAN_NO_COMMANDID",
     "The WinRM client cannot process the request. The response to a Command request did not contain a valid CommandResponse element. The CommandId element was not found or did not contain valid content."},
    {0x80338186u, "ERROR_WSMAN_CLIENT_SIGNAL_NULL_PARAM",
     "The WinRM Shell client cannot process the request. One of the parameters required for the WSManSignalShell function is null or zero. Change the request to include the missing parameter and try again."},
    {0x80338187u, "ERROR_WSMAN_CLIENT_INVALID_SIGNAL_SHELL_FLAG",
     "The WinRM client cannot process the request. An invalid flag was specified for the WSManSignalShell API call. Remove or change the invalid flag and try the call again."},
    {0x80338188u, "ERROR_WSMAN_CLIENT_SEND_NULL_PARAM",
     "The WinRM Shell client cannot process the request. One of the parameters required for the WSManSendShellInput function is null or zero. Change the request to include the missing parameter and try again."},
    {0x80338189u, "ERROR_WSMAN_CLIENT_INVALID_SEND_SHELL_FLAG",
     "The WinRM client cannot process the request. An invalid flag was specified for the WSManSendShellInput API call. Remove or change the invalid flag and try the call again."},
    {0x8033818Au, "ERROR_WSMAN_CLIENT_INVALID_SEND_SHELL_PARAMETER",
     "The WinRM client cannot process the request. An invalid parameter was specified for the WSManSendShellInput API call. streamData parameter should be specified in binary format using WSMAN_DATA_TYPE_BINARY type. Change the invalid parameter and try the call again."},
    {0x8033818Bu, "ERROR_WSMAN_SHELL_INVALID_INPUT_STREAM",
     "The WinRM Shell client cannot process the request. The stream name passed to the WSManSendShellInput function is not valid. The input stream name should be specified as part of the input streams during shell creation using WSManCreateShell function. Change the request including a valid input stream name and try again."},
    {0x8033818Cu, "ERROR_WSMAN_CLIENT_RECEIVE_NULL_PARAM",
     "The WinRM Shell client cannot process the request. One of the parameters required for the WSManReceiveShellOutput function is null or zero. Change the request to include the missing parameter and try again."},
    {0x8033818Du, "ERROR_WSMAN_SHELL_INVALID_DESIRED_STREAMS",
     "The WinRM Shell client cannot process the request. The stream or list of streams passed to the WSManReceiveShellOutput function is not valid. The desired stream names should be specified as part of the output streams during shell creation using WSManCreateShell function. Change the request including valid desired streams and try again."},
    {0x8033818Eu, "ERROR_WSMAN_CLIENT_INVALID_RECEIVE_SHELL_FLAG",
     "The WinRM client cannot process the request. An invalid flag was specified for the WSManReceiveShellOutput API call. Remove or change the invalid flag and try the call again."},
    {0x8033818Fu, "ERROR_WSMAN_NO_RECEIVE_RESPONSE",
     "The WinRM client cannot process the request. The response to a Receive request did not contain a valid ReceiveResponse element. The ReceiveResponse element was not found or did not contain valid content."},
    {0x80338190u, "ERROR_WSMAN_PLUGIN_CONFIGURATION_CORRUPTED",
     "The WSMan plugin configuration is corrupted."},
    {0x80338191u, "ERROR_WSMAN_INVALID_FILEPATH",
     "The file path specified is either not absolute, not in the system32 directory, or not valid."},
    {0x80338192u, "ERROR_WSMAN_FILE_NOT_PRESENT",
     "The file specified does not exist."},
    {0x80338193u, "ERROR_WSMAN_IISCONFIGURATION_READ_FAILED",
     "The WSMan extension failed to read IIS configuration."},
    {0x80338194u, "ERROR_WSMAN_CLIENT_INVALID_LOCALE",
     "The WinRM client cannot process the request. The locale option is invalid. Change the locale and try again."},
    {0x80338195u, "ERROR_WSMAN_CLIENT_INVALID_UI_LANGUAGE",
     "The WinRM client cannot process the request. The UI language option is invalid. Change the UI language and try again."},
    {0x80338196u, "ERROR_WSMAN_CLIENT_GETERRORMESSAGE_NULL_PARAM",
     "The WinRM client cannot process the request. One of the parameters required for the WSManGetErrorMessage function is null or zero. Change the request to include the missing parameter and try again."},
    {0x80338197u, "ERROR_WSMAN_CLIENT_INVALID_LANGUAGE_CODE",
     "The WinRM client cannot process the request. The language code parameter is invalid. The language code parameter should be either NULL or a valid RFC 3066 language code. Change the language code and try the request again."},
    {0x80338198u, "ERROR_WSMAN_CLIENT_INVALID_GETERRORMESSAGE_FLAG",
     "The WinRM client cannot process the request. An invalid flag was specified for the WSManGetErrorMessage API call. Remove or change the invalid flag and try the call again."},
    {0x80338199u, "ERROR_WSMAN_REDIRECT_REQUESTED",
     "The WinRM service cannot process the request because the request needs to be sent to a different machine. Use the redirect information to send the request to a new machine."},
    {0x8033819Au, "ERROR_WSMAN_PROXY_AUTHENTICATION_INVALID_FLAG",
     "The WinRM client cannot process the request. The flag that specifies the proxy authentication mechanism to use is incorrect. Remove or change the invalid flag and try the request again."},
    {0x8033819Bu, "ERROR_WSMAN_CLIENT_CREDENTIALS_FOR_PROXY_AUTHENTICATION",
     "The WinRM client cannot process the request. The credentials for proxy authentication are not specified correctly. Both user name and password credentials must be valid. Specify the correct credentials and try the request again."},
    {0x8033819Cu, "ERROR_WSMAN_PROXY_ACCESS_TYPE",
     "The WinRM client cannot process the request. The proxy access type is incorrect. Use one of the proxy access type flags; the flags cannot be combined. Change the invalid proxy access type and try the request again."},
    {0x8033819Du, "ERROR_WSMAN_INVALID_OPTION_NO_PROXY_SERVER",
     "The WinRM client cannot process the request. The direct connection to the server option cannot be used with non empty proxy authentication data. Change the invalid proxy access type or use empty proxy authentication data and try the request again."},
    {0x8033819Eu, "ERROR_WSMAN_CLIENT_GETSESSIONOPTION_DWORD_NULL_PARAM",
     "The WinRM client cannot process the request. One of the parameters required for the WSManGetSessionOptionAsDword function is null or zero. Change the request to include the missing parameter and try again."},
    {0x8033819Fu, "ERROR_WSMAN_CLIENT_GETSESSIONOPTION_DWORD_INVALID_PARAM",
     "The WinRM client cannot process the request. One of the parameters required for the WSManGetSessionOptionAsDword function is invalid. Change the invalid parameter and try again."},
    {0x803381A0u, "ERROR_WSMAN_CLIENT_GETSESSIONOPTION_STRING_INVALID_PARAM",
     "The WinRM client cannot process the request. One of the parameters required for the WSManGetSessionOptionAsString function is invalid. Change the invalid parameter and try again."},
    {0x803381A1u, "ERROR_WSMAN_CREDSSP_USERNAME_PASSWORD_NEEDED",
     "The WinRM client cannot process the request. Requests must include user name and password when CredSSP authentication mechanism is used. Add the user name and password or change the authentication mechanism and try the request again."},
    {0x803381A2u, "ERROR_WSMAN_CLIENT_CREDSSP_AUTHENTICATION_DISABLED",
     "The WinRM client cannot process the request. CredSSP authentication is currently disabled in the client configuration. Change the client configuration and try the request again. CredSSP authentication must also be enabled in the server configuration. Also, Group Policy must be edited to allow credential delegation to the target computer. Use gpedit.msc and look at the following policy: Computer Configuration -> Administrative Templates -> System -> Credentials Delegation -> Allow Delegating Fresh Credentials. Verify that it is enabled and configured with an SPN appropriate for the target computer. For example, for a target computer name \"myserver.domain.com\", the SPN can be one of the following: WSMAN/myserver.domain.com or WSMAN/*.domain.com"},
    {0x803381A3u, "ERROR_WSMAN_CLIENT_ALLOWFRESHCREDENTIALS",
     "The WinRM client cannot process the request. A computer policy does not allow the delegation of the user credentials to the target computer. Use gpedit.msc and look at the following policy: Computer Configuration -> Administrative Templates -> System -> Credentials Delegation -> Allow Delegating Fresh Credentials. Verify that it is enabled and configured with an SPN appropriate for the target computer. For example, for a target computer name \"myserver.domain.com\", the SPN can be one of the following: WSMAN/myserver.domain.com or WSMAN/*.domain.com."},
    {0x803381A4u, "ERROR_WSMAN_CLIENT_ALLOWFRESHCREDENTIALS_NTLMONLY",
     "The WinRM client cannot process the request. A computer policy does not allow the delegation of the user credentials to the target computer because the computer is not trusted. The identity of the target computer can be verified if you configure the WSMAN service to use a valid certificate using the following command: winrm set winrm/config/service @{CertificateThumbprint=\"<thumbprint>\"} Or you can check the Event Viewer for an event that specifies that the following SPN could not be created: WSMAN/<computerFQDN>. If you find this event, you can manually create the SPN using setspn.exe . If the SPN exists, but CredSSP cannot use Kerberos to validate the identity of the target computer and you still want to allow the delegation of the user credentials to the target computer, use gpedit.msc and look at the following policy: Computer Configuration -> Administrative Templates -> System -> Credentials Delegation -> Allow Fresh Credentials with NTLM-only Server Authentication. Verify that it is enabled and configured with an SPN appropriate for the target computer. For example, for a target computer name \"myserver.domain.com\", the SPN can be one of the following: WSMAN/myserver.domain.com or WSMAN/*.domain.com. Try the request again after these changes."},
    {0x803381A5u, "ERROR_WSMAN_QUOTA_MAX_SHELLS",
     "The WS-Management service cannot process the request. The maximum number of concurrent shells for this user has been exceeded. Close existing shells or raise the quota for this user."},
    {0x803381A6u, "ERROR_WSMAN_QUOTA_MAX_OPERATIONS",
     "The WS-Management service cannot process the request. The maximum number of concurrent operations for this user has been exceeded. Close existing operations for this user, or raise the quota for this user."},
    {0x803381A7u, "ERROR_WSMAN_QUOTA_USER",
     "The WS-Management service cannot process the request. The load quota for this user has been exceeded. Send future requests at a slower rate or raise the quota for this user."},
    {0x803381A8u, "ERROR_WSMAN_QUOTA_SYSTEM",
     "The WS-Management service cannot process the request. The load quota for the system has been exceeded. Send future requests at a slower rate or raise the system quota."},
    {0x803381A9u, "ERROR_WSMAN_DIFFERENT_AUTHZ_TOKEN",
     "The WS-Management service cannot complete the authorization under the given token. A previous authorization attempt for the same user resulted in a different token. The user record will be revoked and the next request will reauthorize."},
    {0x803381AAu, "ERROR_WSMAN_REDIRECT_LOCATION_NOT_AVAILABLE",
     "An application tried to retrieve the HTTP Redirect location from the session when no redirect error (ERROR_WSMAN_REDIRECT_REQUESTED) was returned. The application needs to be updated so as to only retrieve the location after this error is returned."},
    {0x803381ABu, "ERROR_WSMAN_QUOTA_MAX_SHELLUSERS",
     "The WS-Management service cannot process the request. The maximum number of users executing shell operations has been exceeded. Retry after some time or raise the quota for concurrent shell users."},
    {0x803381ACu, "ERROR_WSMAN_REMOTESHELLS_NOT_ALLOWED",
     "The WS-Management service cannot process the request. The service is configured to not accept any remote shell requests."},
    {0x803381ADu, "ERROR_WSMAN_PULL_PARAMS_NOT_SAME_AS_ENUM",
     "The WS-Management service cannot complete the Pull operation for the enumeration because the wsman:MaxEnvelopeSize, wsen:MaxCharacters or wsen:MaxElements parameters differ from those specified to the enumeration. The application needs to specify the same parameters for Pull as were specified for the enumeration."},
    {0x803381AEu, "ERROR_WSMAN_DEPRECATED_CONFIG_SETTING",
     "The WinRM service cannot process the request because it is trying to update a deprecated setting. Remove this setting from the command and try again."},
    {0x803381AFu, "ERROR_WSMAN_URI_SECURITY_URI",
     "The WS-Management service cannot process the configuration settings. A Security element contains a URI that does not match its parent Resource element."},
    {0x803381B0u, "ERROR_WSMAN_CANNOT_USE_ALLOW_NEGOTIATE_IMPLICIT_CREDENTIALS_FOR_HTTP",
     "The WinRM client cannot process the request. Allow implicit credentials for Negotiate authentication option is only valid for HTTPS transport. Remove the allow implicit credentials for Negotiate authentication option and try the request again."},
    {0x803381B1u, "ERROR_WSMAN_CANNOT_USE_PROXY_SETTINGS_FOR_HTTP",
     "The WinRM client cannot process the request. Setting proxy information is not valid when the HTTP transport is specified. Remove the proxy information or change the transport and try the request again."},
    {0x803381B2u, "ERROR_WSMAN_CANNOT_USE_PROXY_SETTINGS_FOR_KERBEROS",
     "The WinRM client cannot process the request. Setting proxy information is not valid when the authentication mechanism with the remote machine is Kerberos. Remove the proxy information or change the authentication mechanism and try the request again."},
    {0x803381B3u, "ERROR_WSMAN_CANNOT_USE_PROXY_SETTINGS_FOR_CREDSSP",
     "The WinRM client cannot process the request. Setting proxy information is not valid when the authentication mechanism with the remote machine is CredSSP. Remove the proxy information or change the authentication mechanism and try the request again."},
    {0x803381B4u, "ERROR_WSMAN_CLIENT_MULTIPLE_PROXY_AUTH_FLAGS",
     "The WinRM client cannot process the request. The request must specify only one authentication mechanism for proxy. Change the request to specify only one authentication mechanism and try again."},
    {0x803381B5u, "ERROR_WSMAN_INVALID_REDIRECT_ERROR",
     "The WinRM client received a redirect error from the server when it is not appropriate. The only time a redirect error can be reported correctly is during the authorization of a user. This would result in a properly formatted redirect response from the server that includes the redirect endpoint."},
    {0x803381B6u, "ERROR_REDIRECT_LOCATION_TOO_LONG",
     "The WinRM service received a redirect error from an authorization plug-in where the redirect location was too long."},
    {0x803381B7u, "ERROR_REDIRECT_LOCATION_INVALID",
     "The WinRM service received a HTTP redirect message redirecting the client but the location URL is invalid."},
    {0x803381B8u, "ERROR_SERVICE_CBT_HARDENING_INVALID",
     "The WinRM service cannot process the request. The Channel Binding Token Hardening Level (CbtHardeningLevel) value is invalid. The valid values are \"None\", \"Relaxed\" and \"Strict\". Change the CbtHardeningLevel value and try again."},
    {0x803381B9u, "ERROR_WSMAN_NAME_NOT_RESOLVED",
     "The WinRM client cannot process the request because the server name cannot be resolved."},
    {0x803381BAu, "ERROR_WSMAN_SSL_CONNECTION_ABORTED",
     "The SSL connection cannot be established. Verify that the service on the remote host is properly configured to listen for HTTPS requests. Consult the logs and documentation for the WS-Management service running on the destination, most commonly IIS or WinRM. If the destination is the WinRM service, run the following command on the destination to analyze and configure the WinRM service: \"winrm quickconfig -transport:https\"."},
    {0x803381BBu, "ERROR_WSMAN_DEFAULTAUTH_IPADDRESS",
     "The WinRM client cannot process the request. Default authentication may be used with an IP address under the following conditions: the transport is HTTPS or the destination is in the TrustedHosts list, and explicit credentials are provided. Use winrm.cmd to configure TrustedHosts. Note that computers in the TrustedHosts list might not be authenticated. For more information on how to set TrustedHosts run the following command: winrm help config."},
    {0x803381BCu, "ERROR_WSMAN_CUSTOMREMOTESHELL_DEPRECATED",
     "The WinRM client cannot process the request. Custom Remote Shell has been deprecated and cannot be used."},
    {0x803381BDu, "ERROR_WSMAN_FEATURE_DEPRECATED",
     "The WinRM client cannot process the request. The feature in use has been deprecated and cannot be used."},
    {0x803381BEu, "ERROR_WSMAN_INVALID_USESSL_PARAM",
     "The WinRM client used a parameter to specify the use of SSL while specifying http in the connection string."},
    {0x803381BFu, "ERROR_WSMAN_INVALID_CONFIGSDDL_URL",
     "The WinRM service cannot process the request because the security for this resource URI cannot be changed."},
    {0x803381C0u, "ERROR_WSMAN_ENUMERATE_SHELLCOMAMNDS_FILTER_EXPECTED",
     "The WinRM service cannot process the request. The enumeration request expects a selector based filter to specify the shell identifier."},
    {0x803381C1u, "ERROR_WSMAN_ENUMERATE_SHELLCOMMANDS_EPRS_NOTSUPPORTED",
     "The WinRM service cannot process the request. The enumeration of end point resources for shell commands is not supported."},
    {0x803381C2u, "ERROR_WSMAN_CLIENT_CREATESHELL_NAME_INVALID",
     "The WinRM Shell client cannot process the request because the shell name has exceeded 255 characters in length."},
    {0x803381C3u, "ERROR_WSMAN_RUNAS_INVALIDUSERCREDENTIALS",
     "The WinRM runAs configuration operation cannot be completed because the user credentials could not be verified. Verify that the username and password used for configuration are valid and retry the operation."},
    {0x803381C4u, "ERROR_WINRS_SHELL_DISCONNECTED",
     "The WinRM service cannot process the request because the WinRS shell instance is currently disconnected."},
    {0x803381C5u, "ERROR_WINRS_SHELL_DISCONNECT_NOT_SUPPORTED",
     "The WinRM service cannot process the request. This WinRS shell instance does not support disconnect and reconnect operations because it was created by an older WinRS client or its provider does not support the disconnect operation."},
    {0x803381C6u, "ERROR_WINRS_SHELL_CLIENTSESSIONID_MISMATCH",
     "The WinRM service cannot process the request because the WinRS shell instance is connected to a different client."},
    {0x803381C7u, "ERROR_WSMAN_CLIENT_DISCONNECTSHELL_NULL_PARAM",
     "The WinRM Shell client cannot process the request. One of the parameters required for the WSManDisconnectShell function is null or zero. Change the request to include the missing parameter and try again."},
    {0x803381C8u, "ERROR_WSMAN_CLIENT_RECONNECTSHELL_NULL_PARAM",
     "The WinRM Shell client cannot process the request. One of the parameters required for the WSManReconnectShell function is null or zero. Change the request to include the missing parameter and try again."},
    {0x803381C9u, "ERROR_WSMAN_CLIENT_CONNECTSHELL_NULL_PARAM",
     "The WinRM Shell client cannot process the request. One of the parameters required for the WSManConnectShell function is null or zero. Change the request to include the missing parameter and try again."},
    {0x803381CAu, "ERROR_WSMAN_CLIENT_CONNECTCOMMAND_NULL_PARAM",
     "The WinRM Shell client cannot process the request. One of the parameters required for the WSManConnectShellCommand function is null or zero. Change the request to include the missing parameter and try again."},
    {0x803381CBu, "ERROR_WINRS_CONNECT_RESPONSE_BAD_BODY",
     "The WinRM client cannot process the request. The body response is not a valid connect request response."},
    {0x803381CCu, "ERROR_WSMAN_COMMAND_TERMINATED",
     "The WinRM Shell client cannot process the request. The command is currently terminating or was terminated."},
    {0x803381CDu, "ERROR_WINRS_SHELL_CONNECTED_TO_DIFFERENT_CLIENT",
     "The WinRM service cannot process the request. The WinRS shell instance is currently connected to a different client."},
    {0x803381CEu, "ERROR_WINRS_SHELL_DISCONNECT_OPERATION_NOT_GRACEFUL",
     "The WinRM client encountered an error while communicating with the WinRM service during the disconnect operation. The shell has been disconnected and the streams were possibly suspended abruptly."},
    {0x803381CFu, "ERROR_WINRS_SHELL_DISCONNECT_OPERATION_NOT_VALID",
     "The WinRM client cannot process the request. A disconnect operation cannot be performed on a WinRS shell instance that is already disconnected."},
    {0x803381D0u, "ERROR_WINRS_SHELL_RECONNECT_OPERATION_NOT_VALID",
     "The WinRM client cannot process the request. A reconnect operation cannot be performed on a WinRS shell instance that is currently connected."},
    {0x803381D1u, "ERROR_WSMAN_CONFIG_GROUP_POLICY_CHANGE_NOTIFICATION_SUBSCRIPTION_FAILED",
     "An error was encountered while subscribing to the Group Policy change notification."},
    {0x803381D2u, "ERROR_WSMAN_CLIENT_RECONNECTSHELLCOMMAND_NULL_PARAM",
     "The WinRM Shell client cannot process the request. One of the parameters required for the WSManReconnectShellCommand function is null or zero. Change the request to include the missing parameter and try again."},
    {0x803381D3u, "ERROR_WINRS_SHELLCOMMAND_RECONNECT_OPERATION_NOT_VALID",
     "The WinRM client cannot process the request. A reconnect operation cannot be performed on a WinRS shell command instance that is currently connected."},
    {0x803381D4u, "ERROR_WINRS_SHELLCOMMAND_CLIENTID_NOT_VALID",
     "The WinRM service cannot process the request because the command ID specified by the client is not a valid GUID. Modify the request and retry the request."},
    {0x803381D5u, "ERROR_WINRS_SHELL_CLIENTID_NOT_VALID",
     "The WinRM service cannot process the request because the shell ID specified by the client is not a valid GUID. Provide a valid ID and try again."},
    {0x803381D6u, "ERROR_WINRS_SHELLCOMMAND_CLIENTID_RESOURCE_CONFLICT",
     "The WinRM service cannot process the request. A command already exists with the command ID specified by the client."},
    {0x803381D7u, "ERROR_WINRS_SHELL_CLIENTID_RESOURCE_CONFLICT",
     "The WinRM service cannot process the request. A resource already exists with the shell ID specified by the client."},
    {0x803381D8u, "ERROR_WINRS_SHELLCOMMAND_DISCONNECT_OPERATION_NOT_VALID",
     "The WinRM client cannot process the request. A disconnect operation cannot be performed on a WinRS shell command instance that is disconnected."},
    {0x803381D9u, "ERROR_WSMAN_SUBSCRIBE_WMI_INVALID_KEY",
     "The WS-Management service cannot process the request. The resource URI for the Subscribe operation must not contain keys."},
    {0x803381DAu, "ERROR_WSMAN_CLIENT_INVALID_DISCONNECT_SHELL_FLAG",
     "The WinRM client cannot process the request. A flag that is not valid was specified for the WSManDisconnectShell method. Remove or change the flag and retry the operation."},
    {0x803381DBu, "ERROR_WSMAN_CLIENT_INVALID_SHELL_COMMAND_PAIR",
     "The WinRM client cannot process the request because the command handle is not associated with the provided shell handle."},
    {0x803381DCu, "ERROR_WSMAN_SEMANTICCALLBACK_TIMEDOUT",
     "The WS-Management service did not receive a response for an extended semantics operation within the timeframe specified in the OperationTimeout setting."},
    {0x803381DDu, "ERROR_WSMAN_SERVICE_REMOTE_ACCESS_DISABLED",
     "The WS-Management service is configured to not allow remote requests."},
    {0x803381DEu, "ERROR_WSMAN_SERVICE_STREAM_DISCONNECTED",
     "The WS-Management service cannot process the request because the stream is currently disconnected."},
    {0x803381DFu, "ERROR_WSMAN_CREATESHELL_RUNAS_FAILED",
     "The creation of a new Shell failed. Verify that the RunAsPassword value is correctly configured and that the Group Policy setting \"Disallow WinRM from storing RunAs credentials\" is Disabled or Not Configured. To enable WinRM to store RunAs credentials, change this Group Policy setting to Disabled."},
    {0x803381E0u, "ERROR_WSMAN_INVALID_XML_RUNAS_DISABLED",
     "The supplied plugin configuration XML is not valid. To enable WinRM to store RunAs credentials, change the \"Disallow WinRM from storing RunAs credentials\" Group Policy setting to Disabled."},
    {0x803381E1u, "ERROR_WSMAN_WRONG_METADATA",
     "The WinRM client cannot process the request because the XML instance does not match the class schema provided by the server."},
    {0x803381E2u, "ERROR_WSMAN_UNSUPPORTED_TYPE",
     "The WinRM client cannot process the request because the XML contains an unsupported type. Verify the XML and retry the operation."},
    {0x803381E3u, "ERROR_WSMAN_REMOTE_CONNECTION_NOT_ALLOWED",
     "The WS-Management service cannot process the request. The service is configured to reject remote connection requests for this plugin."},
    {0x803381E4u, "ERROR_WSMAN_QUOTA_MAX_SHELLS_PPQ",
     "The WS-Management service cannot process the request. This user has exceeded the maximum number of concurrent shells allowed for this plugin. Close at least one open shell or raise the plugin quota for this user."},
    {0x803381E5u, "ERROR_WSMAN_QUOTA_MAX_USERS_PPQ",
     "The WS-Management service cannot process the request. The maximum number of users executing remote operations has been exceeded for this plugin. Retry the request later or raise the quota for concurrent users."},
    {0x803381E6u, "ERROR_WSMAN_QUOTA_MAX_PLUGINSHELLS_PPQ",
     "The WS-Management service cannot process the request. The maximum number of concurrent shells allowed for this plugin has been exceeded. Retry the request later or raise the Maximum Shells per Plugin quota."},
    {0x803381E7u, "ERROR_WSMAN_QUOTA_MAX_PLUGINOPERATIONS_PPQ",
     "The WS-Management service cannot process the request. The maximum number of concurrent operations allowed for this plugin has been exceeded. Retry the request later or raise the Maximum Operations per Plugin quota."},
    {0x803381E8u, "ERROR_WSMAN_QUOTA_MAX_OPERATIONS_USER_PPQ",
     "The WS-Management service cannot process the request. This user has exceeded the maximum number of allowed concurrent operations. Retry the request later or raise the Maximum Operations per User quota."},
    {0x803381E9u, "ERROR_WSMAN_QUOTA_MAX_COMMANDS_PER_SHELL_PPQ",
     "The WS-Management service cannot process the request. The maximum number of concurrent commands per shell has been exceeded. Retry the request later or raise the Maximum Commands per Shell quota."},
    {0x803381EAu, "ERROR_WSMAN_QUOTA_MIN_REQUIREMENT_NOT_AVAILABLE_PPQ",
     "The WS-Management service cannot process the request. There are not enough resources available to process this operation. Retry the operation later or close one or more of the currently running operations."},
    {0x803381EBu, "ERROR_WSMAN_NEW_DESERIALIZER",
     "The WinRM client cannot process the request because the MI Deserializer cannot be created."},
    {0x803381ECu, "ERROR_WSMAN_DESERIALIZE_CLASS",
     "The WinRM client cannot process the request because the metadata could not be deserialized."},
    {0x803381EDu, "ERROR_WSMAN_GETCLASS",
     "The WinRM client cannot process the request because the metadata failed to be retrieved from the server."},
    {0x803381EEu, "ERROR_WSMAN_NEW_SESSION",
     "The WinRM client cannot process the request because a WinRM session could not be created."},
    {0x803381EFu, "ERROR_WSMAN_NULL_KEY",
     "The WinRM client cannot process the request because the target object has a key property set to NULL. Incomplete objects cannot be used as the target of an operation."},
    {0x803381F0u, "ERROR_WSMAN_MUTUAL_AUTH_FAILED",
     "The WinRM client cannot process the request as the server identity could not be verified. If the identity of the server is trusted, add it to the TrustedHosts list and retry the request. Use winrm.cmd to configure TrustedHosts. Note that computers in the TrustedHosts list might not be authenticated. For more information on how to set TrustedHosts, run the following command: winrm help config"},
    {0x803381F1u, "ERROR_WSMAN_UNSUPPORTED_OCTETTYPE",
     "The WinRM client cannot process the request because the octet string array type is not supported."},
    {0x803381F2u, "ERROR_WINRS_IDLETIMEOUT_OUTOFBOUNDS",
     "The WS-Management service cannot process the request. The requested IdleTimeout is outside the allowed range."},
    {0x803381F3u, "ERROR_WSMAN_INSUFFICIENT_METADATA_FOR_BASIC",
     "The WinRM client cannot process the request because insufficient metadata is available. The application does not allow all properties to be returned as strings, but the server does not support correctly typing the properties. Change the request to allow all properties to be returned as strings and retry the request."},
    {0x803381F4u, "ERROR_WSMAN_INVALID_LITERAL_URI",
     "The WinRM client cannot process the request because the MI_OperationOptions contained both a Resource URI and a Resource URI Prefix. Specify only one of these two options and try again."},
    {0x803381F5u, "ERROR_WSMAN_OBJECTONLY_INVALID",
     "The WinRM client cannot process the request because keysOnly and WSMAN_ENUMERATIONMODE_OBJECTONLY were specified at the same time. These two settings are incompatible. Remove the WSMAN_ENUMERATIONMODE_OBJECTONLY option, or set keysOnly to MI_FALSE, and retry the request."},
    {0x803381F6u, "ERROR_WSMAN_MISSING_CLASSNAME",
     "The WinRM client cannot process the request because the class name is not valid. Supply a valid class name or set the Resource URI option and retry the request."},
    {0x803381F7u, "ERROR_WSMAN_EVENTING_INVALID_ENCODING_IN_DELIVERY",
     "The subscribe packet contains an Encoding value that is not valid in the delivery section."},
    {0x803381F8u, "ERROR_WSMAN_DESTINATION_INVALID",
     "The WinRM client cannot process the request. The destination computer name must be a hostname or an IP address, and must not be a URL. To use an IPv6 address, enclose the address in brackets, like the following: \"[::1]\". The transport, port number, and URL prefix may be controlled by setting the appropriate destination options. Change the destination computer name string and retry the operation."},
    {0x803381F9u, "ERROR_WSMAN_UNSUPPORTED_FEATURE_IDENTIFY",
     "The server does not support WS-Management Identify operations. Skip the TestConnection part of the request and try again."},
    {0x803381FAu, "ERROR_WSMAN_CLIENT_SESSION_UNUSABLE",
     "The WS-Management service cannot process the operation. The operation is being attempted on a client session that is unusable. This may be related to a recent restart of the WS-Management service. Please create a new client session and retry the operation if re-executing the operation does not have undesired behavior."},
    {0x803381FBu, "ERROR_WSMAN_VIRTUALACCOUNT_NOTSUPPORTED",
     "The WS-Management service cannot process the operation. An attempt to create a virtual account failed. Ensure that WinRM service is running as Local System and that it has TCB privilege enabled."},
    {0x803381FCu, "ERROR_WSMAN_VIRTUALACCOUNT_NOTSUPPORTED_DOWNLEVEL",
     "The WS-Management service cannot process the operation. Virtual account feature is only available in Windows 7, Server 2008 R2 and above."},
    {0x803381FDu, "ERROR_WSMAN_RUNASUSER_MANAGEDACCOUNT_LOGON_FAILED",
     "The WS-Management service cannot process the operation. An attempt to logon using the configured RunAs Managed Service Account failed."},
    {0x803381FEu, "ERROR_WSMAN_CERTMAPPING_CREDENTIAL_MANAGEMENT_FAILIED",
     "The WS-Management service cannot process the operation. An attempt to query mapped credential failed. This will happen if the security context associated with WinRM service has changed since the credential was originally mapped."},
    {0x803381FFu, "ERROR_WSMAN_EVENTING_PUSH_SUBSCRIPTION_NOACTIVATE_EVENTSOURCE",
     "The event source of the push subscription is in disable or inactive on the Event controller server."},
    /* END GENERATED TABLE */
};
/* clang-format on */

#define CODE_TABLE_LEN (sizeof code_table / sizeof code_table[0])

static const code_entry_t *find_exact(uint32_t code)
{
    size_t lo = 0, hi = CODE_TABLE_LEN;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (code_table[mid].code == code)
            return &code_table[mid];
        if (code_table[mid].code < code)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* HRESULT_FROM_WIN32(x) = 0x80070000 | x for Win32 codes 1..0xFFFF. */
static int is_win32_hresult(uint32_t code)
{
    return (code & 0xFFFF0000u) == 0x80070000u;
}

static const code_entry_t *find_code(uint32_t code)
{
    const code_entry_t *c = find_exact(code);
    if (!c && is_win32_hresult(code))
        c = find_exact(code & 0xFFFFu);
    return c;
}

const char *wsman_error_name(uint32_t code)
{
    const code_entry_t *c = find_code(code);
    return c ? c->name : NULL;
}

const char *wsman_error_text(uint32_t code)
{
    const code_entry_t *c = find_code(code);
    return c ? c->text : NULL;
}

/* ---- retry classes ---------------------------------------------------------------------- */

wsman_retry_t wsman_error_retry_class(uint32_t code)
{
    uint32_t w32 = is_win32_hresult(code) ? (code & 0xFFFFu) : code;

    switch (code) {
    /* quota: close shells/operations, back off */
    case 0x8033803Fu: /* ERROR_WSMAN_QUOTA_LIMIT */
    case 0x8033805Bu: /* ERROR_WSMAN_UNEXPECTED_SELECTORS: shell/command gone (expired or reaped) */
    case 0x803381A5u: /* ERROR_WSMAN_QUOTA_MAX_SHELLS */
    case 0x803381A6u: /* ERROR_WSMAN_QUOTA_MAX_OPERATIONS */
    case 0x803381A7u: /* ERROR_WSMAN_QUOTA_USER */
    case 0x803381A8u: /* ERROR_WSMAN_QUOTA_SYSTEM */
    case 0x803381ABu: /* ERROR_WSMAN_QUOTA_MAX_SHELLUSERS */
    case 0x803381E4u: /* ERROR_WSMAN_QUOTA_MAX_SHELLS_PPQ */
    case 0x803381E5u: /* ERROR_WSMAN_QUOTA_MAX_USERS_PPQ */
    case 0x803381E6u: /* ERROR_WSMAN_QUOTA_MAX_PLUGINSHELLS_PPQ */
    case 0x803381E7u: /* ERROR_WSMAN_QUOTA_MAX_PLUGINOPERATIONS_PPQ */
    case 0x803381E8u: /* ERROR_WSMAN_QUOTA_MAX_OPERATIONS_USER_PPQ */
    case 0x803381E9u: /* ERROR_WSMAN_QUOTA_MAX_COMMANDS_PER_SHELL_PPQ */
    case 0x803381EAu: /* ERROR_WSMAN_QUOTA_MIN_REQUIREMENT_NOT_AVAILABLE_PPQ */
        return WSMAN_RETRY_QUOTA;

    /* auth: wrong credentials, not authorised */
    case 0x80338036u: /* ERROR_WSMAN_FAILED_AUTHENTICATION */
    case 0x80338104u: /* ERROR_WSMAN_WMI_SVC_ACCESS_DENIED */
    case 0x80338105u: /* ERROR_WSMAN_WMI_PROVIDER_ACCESS_DENIED */
    case 0x80338106u: /* ERROR_WSMAN_WMI_CANNOT_CONNECT_ACCESS_DENIED */
    case 0x803381F0u: /* ERROR_WSMAN_MUTUAL_AUTH_FAILED */
    case 0x80090303u: /* SEC_E_TARGET_UNKNOWN */
    case 0x8009030Cu: /* SEC_E_LOGON_DENIED */
    case 0x8009030Eu: /* SEC_E_NO_CREDENTIALS */
    case 0x80090311u: /* SEC_E_NO_AUTHENTICATING_AUTHORITY */
    case 0x80090322u: /* SEC_E_WRONG_PRINCIPAL */
    case 0x80090324u: /* SEC_E_TIME_SKEW */
        return WSMAN_RETRY_AUTH;

    /* transient: timeouts, connection failures, service temporarily unavailable */
    case 0x80338012u: /* ERROR_WSMAN_DESTINATION_UNREACHABLE */
    case 0x80338014u: /* ERROR_WSMAN_ENDPOINT_UNAVAILABLE */
    case 0x8033801Cu: /* ERROR_WSMAN_ENUMERATE_TIMED_OUT */
    case 0x80338029u: /* ERROR_WSMAN_OPERATION_TIMEDOUT */
    case 0x80338112u: /* ERROR_WSMAN_HTTP_SERVICE_UNAVAILABLE_STATUS */
    case 0x80338126u: /* ERROR_WSMAN_NETWORK_TIMEDOUT */
    case 0x803381B9u: /* ERROR_WSMAN_NAME_NOT_RESOLVED */
    case 0x803381DCu: /* ERROR_WSMAN_SEMANTICCALLBACK_TIMEDOUT */
        return WSMAN_RETRY_TRANSIENT;
    default:
        break;
    }

    switch (w32) {
    case 5:      /* ERROR_ACCESS_DENIED (also E_ACCESSDENIED) */
    case 1244:   /* ERROR_NOT_AUTHENTICATED */
    case 1311:   /* ERROR_NO_LOGON_SERVERS */
    case 1326:   /* ERROR_LOGON_FAILURE */
    case 1330:   /* ERROR_PASSWORD_EXPIRED */
    case 1331:   /* ERROR_ACCOUNT_DISABLED */
    case 1909:   /* ERROR_ACCOUNT_LOCKED_OUT */
    case 0x2F0C: /* ERROR_WINHTTP_CLIENT_AUTH_CERT_NEEDED */
        return WSMAN_RETRY_AUTH;
    case 1225:   /* ERROR_CONNECTION_REFUSED */
    case 1236:   /* ERROR_CONNECTION_ABORTED */
    case 1460:   /* ERROR_TIMEOUT */
    case 0x2EE2: /* ERROR_WINHTTP_TIMEOUT */
    case 0x2EE7: /* ERROR_WINHTTP_NAME_NOT_RESOLVED (DNS may come back) */
    case 0x2EFD: /* ERROR_WINHTTP_CANNOT_CONNECT */
    case 0x2EFE: /* ERROR_WINHTTP_CONNECTION_ERROR */
        return WSMAN_RETRY_TRANSIENT;
    default:
        return WSMAN_RETRY_FATAL;
    }
}

const char *wsman_retry_name(wsman_retry_t r)
{
    switch (r) {
    case WSMAN_RETRY_TRANSIENT:
        return "transient";
    case WSMAN_RETRY_QUOTA:
        return "quota";
    case WSMAN_RETRY_AUTH:
        return "auth";
    case WSMAN_RETRY_FATAL:
    default:
        return "fatal";
    }
}

/* ---- error objects ------------------------------------------------------------------------ */

void wsman_error_init(wsman_error_t *e)
{
    if (e)
        memset(e, 0, sizeof *e);
}

/* Frees what describes the fault itself; keeps the context (operation, endpoint, machine,
 * http_status). */
static void clear_fault(wsman_error_t *e)
{
    free(e->name);
    free(e->message);
    free(e->reason);
    free(e->fault_code);
    free(e->subcode);
    free(e->fault_detail);
    free(e->provider);
    free(e->provider_path);
    for (size_t i = 0; i < e->wmi_count; i++) {
        free(e->wmi[i].name);
        free(e->wmi[i].value);
    }
    free(e->wmi);
    free(e->fault_xml);
    e->name = e->message = e->reason = e->fault_code = e->subcode = e->fault_detail = NULL;
    e->provider = e->provider_path = e->fault_xml = NULL;
    e->wmi = NULL;
    e->wmi_count = 0;
    e->code = 0;
    e->retry = WSMAN_RETRY_FATAL;
}

void wsman_error_clear(wsman_error_t *e)
{
    if (!e)
        return;
    clear_fault(e);
    free(e->machine);
    free(e->operation);
    free(e->endpoint);
    memset(e, 0, sizeof *e);
}

void wsman_error_move(wsman_error_t *dst, wsman_error_t *src)
{
    if (!dst || !src || dst == src)
        return;
    wsman_error_clear(dst);
    *dst = *src;
    memset(src, 0, sizeof *src);
}

/* Host part of an endpoint URL "scheme://host:port/prefix" (IPv6 without brackets); caller frees. */
static char *endpoint_host(const char *url)
{
    const char *p, *end;
    if (!url)
        return NULL;
    p = strstr(url, "://");
    p = p ? p + 3 : url;
    if (*p == '[') {
        p++;
        end = strchr(p, ']');
    } else {
        end = p + strcspn(p, ":/");
    }
    if (!end)
        return NULL;
    return wsman_strndup(p, (size_t)(end - p));
}

/* A client-side error has no SOAP fault parts: its fault_xml is ours to (re)build. */
static int is_client_error(const wsman_error_t *e)
{
    return e->code != 0 && !e->fault_code && !e->subcode && !e->reason;
}

void wsman_error_synthesize_fault(wsman_error_t *e)
{
    wsman_buf_t b;
    const char *msg, *machine;
    char *host = NULL;

    if (!e)
        return;
    msg = e->message ? e->message : wsman_error_text(e->code);
    if (!msg)
        msg = "";
    machine = e->machine;
    if (!machine)
        machine = host = endpoint_host(e->endpoint);
    if (!machine)
        machine = "";

    wsman_buf_init(&b);
    if (wsman_buf_printf(&b, "<f:WSManFault xmlns:f=\"" WSMAN_NS_FAULT "\" Code=\"%lu\" Machine=\"",
                         (unsigned long)e->code) == 0 &&
        wsman_buf_xml_attr(&b, machine, strlen(machine)) == 0 && wsman_buf_puts(&b, "\"><f:Message>") == 0 &&
        wsman_buf_xml_text(&b, msg, strlen(msg)) == 0 &&
        wsman_buf_puts(&b, "</f:Message></f:WSManFault>") == 0) {
        free(e->fault_xml);
        e->fault_xml = wsman_buf_steal(&b);
    }
    wsman_buf_free(&b);
    free(host);
}

void wsman_error_context(wsman_error_t *e, const char *operation, const char *endpoint)
{
    int changed = 0;
    if (!e)
        return;
    if (!e->operation && operation && *operation)
        e->operation = wsman_strdup(operation);
    if (!e->endpoint && endpoint && *endpoint) {
        e->endpoint = wsman_strdup(endpoint);
        changed = 1;
    }
    if (changed && !e->machine && is_client_error(e)) {
        e->machine = endpoint_host(e->endpoint);
        wsman_error_synthesize_fault(e);
    }
}

void wsman_error_set(wsman_error_t *e, uint32_t code, const char *fmt, ...)
{
    const char *name, *text;
    char *msg = NULL;

    if (!e)
        return;
    clear_fault(e);
    e->code = code;
    name = wsman_error_name(code);
    text = wsman_error_text(code);
    if (name)
        e->name = wsman_strdup(name);
    e->retry = wsman_error_retry_class(code);

    if (fmt && *fmt) {
        va_list ap, ap2;
        int n;
        va_start(ap, fmt);
        va_copy(ap2, ap);
        n = vsnprintf(NULL, 0, fmt, ap);
        if (n >= 0) {
            msg = malloc((size_t)n + 1);
            if (msg)
                vsnprintf(msg, (size_t)n + 1, fmt, ap2);
        }
        va_end(ap2);
        va_end(ap);
    }
    if (!msg) {
        if (text) {
            msg = wsman_strdup(text);
        } else {
            char tmp[64];
            snprintf(tmp, sizeof tmp, "Unknown error 0x%08X.", (unsigned)code);
            msg = wsman_strdup(tmp);
        }
    }
    e->message = msg;
    if (!e->machine && e->endpoint)
        e->machine = endpoint_host(e->endpoint);
    wsman_error_synthesize_fault(e);
}

char *wsman_error_to_string(const wsman_error_t *e)
{
    wsman_buf_t b;
    const char *msg, *name;
    int rc = 0;

    if (!e)
        return NULL;
    msg = e->message ? e->message : wsman_error_text(e->code);
    if (!msg)
        msg = "unknown error";
    name = e->name ? e->name : wsman_error_name(e->code);

    wsman_buf_init(&b);
    if (e->operation && *e->operation)
        rc |= wsman_buf_printf(&b, "%s ", e->operation);
    if (e->endpoint && *e->endpoint)
        rc |= wsman_buf_printf(&b, "%s", e->endpoint);
    if (b.len > 0) {
        if (b.data[b.len - 1] == ' ')
            b.len--, b.data[b.len] = '\0';
        rc |= wsman_buf_puts(&b, ": ");
    }
    /* one line: newlines and tabs of multi-line texts become spaces */
    for (const char *p = msg; *p && rc == 0; p++) {
        char c = (*p == '\n' || *p == '\r' || *p == '\t') ? ' ' : *p;
        rc |= wsman_buf_append(&b, &c, 1);
    }
    if (name)
        rc |= wsman_buf_printf(&b, " (0x%08X %s)", (unsigned)e->code, name);
    else
        rc |= wsman_buf_printf(&b, " (0x%08X)", (unsigned)e->code);
    if (rc != 0) {
        wsman_buf_free(&b);
        return NULL;
    }
    return wsman_buf_steal(&b);
}
