"""SMS through Tencent Cloud SMS (API version 2021-01-11, action ``SendSms``) with its official SDK, which signs each
request (TC3-HMAC-SHA256) and raises the API's errors as ``TencentCloudSDKException`` codes.

One message goes to one mainland number: our template key (the message's kind) names an approved template by
configuration (``TENCENT_SMS_TEMPLATES``), the variables are fitted to the provider's rules, and the answer becomes a
``SendResult``: sent (the provider's serial number as reference), worth retrying (rate limits, outages) or final (a
wrong number; a template, sign or account problem the administrator has to fix).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import models, sms_client

from app.notifications.channels import Outgoing, SendResult

TIMEOUT_SECONDS = 10
PARAM_LENGTH = 6  # a variable's characters unless the account's console allows more (fit_params)
ERROR_LENGTH = 255  # Delivery.last_error
REFERENCE_LENGTH = 100  # Delivery.provider_ref

# Answers worth trying again later, matched on the dotted code and everything under it: the provider's rate limits
# (per number: 30 seconds, an hour, a day; per app), the API's request limits, its outages, and the SDK's own codes
# for a network failure or a non-200 answer (ClientNetworkError, ServerNetworkError) or an answer that is not JSON.
RETRY_CODES = (
    "LimitExceeded",
    "RequestLimitExceeded",
    "InternalError",
    "ServiceUnavailable",
    "ClientNetworkError",
    "ServerNetworkError",
    "JSONDecodeError",
)
# ... except these, which waiting does not cure: a country the app is barred from, too many numbers in one request,
# a server clock more than ten minutes off, a call the API does not know, a request body it could not parse.
FINAL_CODES = (
    "LimitExceeded.AppCountryOrRegionInBlacklist",
    "LimitExceeded.PhoneNumberCountLimit",
    "InternalError.RequestTimeException",
    "InternalError.RestApiInterfaceNotExist",
    "InternalError.JsonParseFail",
)

MAINLAND_MOBILE = re.compile(r"1\d{10}")
SIGN_BRACKETS = str.maketrans("", "", "【】")


def is_retryable(code: str) -> bool:
    """Whether an error code is a passing one (a rate limit, an outage) rather than a final refusal."""

    def under(prefixes: tuple[str, ...]) -> bool:
        return any(code == prefix or code.startswith(prefix + ".") for prefix in prefixes)

    return under(RETRY_CODES) and not under(FINAL_CODES)


def mainland_number(address: str) -> str:
    """A mainland mobile number in the E.164 form SendSms takes (``+86`` and 11 digits), from 11 digits with or
    without a ``+86``/``86`` prefix, spaces or hyphens. Anything else raises ValueError."""
    digits = re.sub(r"[\s-]", "", address)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    if not MAINLAND_MOBILE.fullmatch(digits):
        raise ValueError("not a mainland mobile number")
    return "+86" + digits


def fit_params(params: list[str], max_length: int = PARAM_LENGTH) -> list[str]:
    """The template variables as Tencent Cloud SMS accepts them.

    The rule (正文模板审核标准, 变量规范, https://cloud.tencent.com/document/product/382/39023): a verification
    code's variable takes at most 6 digits and nothing else; any other variable takes as many characters as the
    account's console shows, where a Chinese character, a letter, a digit, a punctuation mark or a space each count
    one. The SDK's description of InvalidParameterValue.TemplateParameterLengthLimit puts the default at 6 characters
    for accounts opened after 2024-01-25 (and long-unused ones), hence ``max_length`` 6 unless configured
    (``TENCENT_SMS_PARAM_LENGTH``). No 【】 either: they read as a sign name.

    Text is cut to ``max_length`` characters (runs of white space become one space; none is left at the end). A
    value of digits (a code, a number) stays as it is, digits only, since a shortened code or number would be wrong:
    one longer than allowed raises ValueError. Our codes have six digits, so they fit both rules.
    """
    fitted = []
    for position, value in enumerate(params, start=1):
        text = " ".join(str(value).translate(SIGN_BRACKETS).split())
        if text.isdigit() and text.isascii():
            if len(text) > max_length:
                raise ValueError(f"variable {position} has {len(text)} digits, the template takes {max_length}")
            fitted.append(text)
        else:
            fitted.append(text[:max_length].rstrip())
    return fitted


def short_error(code: str, message: object = "") -> str:
    """``code: message`` on one line, at most 255 characters (the failures page's column)."""
    if isinstance(message, bytes):
        message = message.decode("utf-8", "replace")
    text = " ".join(str(message or "").split())
    return (f"{code}: {text}" if text else code)[:ERROR_LENGTH]


def load_templates(value: str | Mapping) -> dict[str, str]:
    """``TENCENT_SMS_TEMPLATES`` (JSON, or already a mapping) as {template key: template id}; ValueError if it is
    not a JSON object."""
    templates = json.loads(value) if isinstance(value, str) else value
    if not isinstance(templates, Mapping):
        raise ValueError("TENCENT_SMS_TEMPLATES is not a JSON object")
    return {str(key): str(template_id) for key, template_id in templates.items() if template_id}


class TencentSms:
    """Sends one SMS by SendSms, with the approved sign name and the template configured for the message's kind."""

    name = "tencent"

    def __init__(
        self,
        *,
        secret_id: str,
        secret_key: str,
        app_id: str,
        sign_name: str,
        templates: str | Mapping,
        region: str = "ap-guangzhou",
        endpoint: str = "",
        param_length: int = PARAM_LENGTH,
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        self.secret_id = secret_id
        self.secret_key = secret_key
        self.app_id = app_id
        self.sign_name = sign_name
        self.region = region
        self.endpoint = endpoint
        self.param_length = param_length
        self.timeout = timeout
        self.templates: dict[str, str] = {}
        self.templates_error = ""
        try:
            self.templates = load_templates(templates)
        except ValueError as error:  # json.JSONDecodeError is one: shown on every failure until fixed
            self.templates_error = f"TENCENT_SMS_TEMPLATES is not a JSON object: {error}"
        self._client: sms_client.SmsClient | None = None

    @classmethod
    def from_config(cls, config: Mapping) -> TencentSms:
        return cls(
            secret_id=config["TENCENT_SECRET_ID"],
            secret_key=config["TENCENT_SECRET_KEY"],
            app_id=config["TENCENT_SMS_APP_ID"],
            sign_name=config["TENCENT_SMS_SIGN_NAME"],
            templates=config["TENCENT_SMS_TEMPLATES"],
            region=config.get("TENCENT_SMS_REGION") or "ap-guangzhou",
            endpoint=config.get("TENCENT_SMS_ENDPOINT", ""),
            param_length=int(config.get("TENCENT_SMS_PARAM_LENGTH", PARAM_LENGTH)),
        )

    def template_id(self, template: str, locale: str) -> str:
        """The provider's template id for our template key: the English one (``<key>:en``) for English readers when
        configured, else the Chinese one; "" when none is."""
        keys = [f"{template}:en", template] if locale.lower().startswith("en") else [template]
        return next((self.templates[key] for key in keys if self.templates.get(key)), "")

    def send(self, outgoing: Outgoing) -> SendResult:
        template_id = self.template_id(outgoing.template, outgoing.locale)
        if not template_id:
            reason = (
                self.templates_error or f"no template id configured for {outgoing.template!r} (TENCENT_SMS_TEMPLATES)"
            )
            return self._failure("TemplateNotConfigured", reason)
        try:
            phone = mainland_number(outgoing.address)
        except ValueError as error:
            return self._failure("InvalidParameterValue.IncorrectPhoneNumber", f"{error}: {outgoing.address!r}")
        try:
            params = fit_params(outgoing.params, self.param_length)
        except ValueError as error:
            return self._failure("InvalidParameterValue.TemplateParameterLengthLimit", error)

        request = models.SendSmsRequest()
        request.PhoneNumberSet = [phone]
        request.SmsSdkAppId = self.app_id
        request.SignName = self.sign_name
        request.TemplateId = template_id
        request.TemplateParamSet = params
        try:
            response = self.client().SendSms(request)
        except TencentCloudSDKException as error:
            return self._failure(error.code or "TencentCloudSDKException", error.message)

        statuses = response.SendStatusSet or []
        if not statuses:
            return self._failure(
                "InternalError.NoSendStatus", f"no status for the number (RequestId {response.RequestId})"
            )
        status = statuses[0]
        if status.Code == "Ok":
            reference = status.SerialNo or response.RequestId or ""
            return SendResult(ok=True, provider=self.name, reference=reference[:REFERENCE_LENGTH])
        return self._failure(status.Code or "UnknownError", status.Message)

    def client(self) -> sms_client.SmsClient:
        """The SDK's client, made on first use (missing keys then fail the send, not the configuration's loading).

        ``TENCENT_SMS_ENDPOINT`` may name another host (``http://127.0.0.1:8080`` in the tests): the SDK sends to
        ``<protocol>://<endpoint>/`` and signs the endpoint as the Host, so the two are set apart here."""
        if self._client is None:
            http_profile = HttpProfile(reqTimeout=self.timeout)
            if self.endpoint:
                url = urlsplit(self.endpoint if "://" in self.endpoint else f"https://{self.endpoint}")
                http_profile = HttpProfile(protocol=url.scheme, endpoint=url.netloc, reqTimeout=self.timeout)
            keys = credential.Credential(self.secret_id, self.secret_key)
            self._client = sms_client.SmsClient(keys, self.region, ClientProfile(httpProfile=http_profile))
        return self._client

    def _failure(self, code: str, message: object = "") -> SendResult:
        return SendResult(ok=False, provider=self.name, error=short_error(code, message), retry=is_retryable(code))
