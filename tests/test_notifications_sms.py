"""Tencent Cloud SMS through the official SDK, against a local HTTP server that answers as the SendSms API does
(API 2021-01-11): every request is recorded, so the tests read what was really sent and how it was signed."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from app import create_app
from app.notifications.channels import Outgoing, sender_for
from app.notifications.models import Channel
from app.notifications.sms import TencentSms, fit_params, is_retryable, mainland_number
from tests.conftest import make_test_config

TEMPLATES = {"signin_code": "1100001", "signin_code:en": "2200001", "shift_reminder": "1100002"}


def ok_answer(phone: str) -> dict:
    return {
        "Response": {
            "SendStatusSet": [
                {
                    "SerialNo": "5000:104571066915705365784",
                    "PhoneNumber": phone,
                    "Fee": 1,
                    "SessionContext": "",
                    "Code": "Ok",
                    "Message": "send success",
                    "IsoCode": "CN",
                }
            ],
            "RequestId": "a0aabda6-cf91-4f3e-a81f-9198114a2279",
        }
    }


def status_answer(phone: str, code: str, message: str) -> dict:
    answer = ok_answer(phone)
    answer["Response"]["SendStatusSet"][0].update(SerialNo="", Fee=0, Code=code, Message=message)
    return answer


def error_answer(code: str, message: str) -> dict:
    return {
        "Response": {"Error": {"Code": code, "Message": message}, "RequestId": "7f3c9e1a-0000-4000-8000-000000000001"}
    }


class FakeTencent(ThreadingHTTPServer):
    """Answers each request with the next planned answer: a dict (JSON, HTTP 200), ``("status", code, body)``,
    ``"close"`` (drops the connection unanswered) or ``("sleep", seconds)`` then OK."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.requests: list[dict] = []
        self.answers: list = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(BaseHTTPRequestHandler):
    server: FakeTencent

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
        answer = self.server.answers.pop(0) if self.server.answers else ok_answer(body["PhoneNumberSet"][0])
        if answer == "close":
            self.close_connection = True
            self.connection.close()
            return
        status = 200
        if isinstance(answer, tuple) and answer[0] == "sleep":
            time.sleep(answer[1])
            answer = ok_answer(body["PhoneNumberSet"][0])
        elif isinstance(answer, tuple):
            _, status, answer = answer
        data = answer.encode() if isinstance(answer, str) else json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")  # exactly this: the SDK reads errors only then
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def tencent(monkeypatch):
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    server = FakeTencent()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def sms_config(server: FakeTencent, **overrides) -> dict:
    return {
        "TENCENT_SECRET_ID": "AKIDtest",
        "TENCENT_SECRET_KEY": "secret-key-for-tests",
        "TENCENT_SMS_APP_ID": "1400006666",
        "TENCENT_SMS_SIGN_NAME": "守护志愿",
        "TENCENT_SMS_REGION": "ap-guangzhou",
        "TENCENT_SMS_ENDPOINT": server.url,
        "TENCENT_SMS_TEMPLATES": json.dumps(TEMPLATES),
        "TENCENT_SMS_PARAM_LENGTH": 6,
        **overrides,
    }


def code_message(address: str = "13800138000", locale: str = "zh_Hans_CN") -> Outgoing:
    return Outgoing(
        address=address, subject="", body="您的验证码为123456", template="signin_code", params=["123456"], locale=locale
    )


def test_sent_sms_is_a_signed_sendsms_with_number_template_sign_and_variables(tencent):
    result = TencentSms.from_config(sms_config(tencent)).send(code_message())

    assert result.ok and not result.retry and not result.error
    assert result.provider == "tencent"
    assert result.reference == "5000:104571066915705365784"
    [request] = tencent.requests
    headers, body = request["headers"], request["body"]
    assert request["path"] == "/"
    assert headers["X-TC-Action"] == "SendSms"
    assert headers["X-TC-Version"] == "2021-01-11"
    assert headers["X-TC-Region"] == "ap-guangzhou"
    assert headers["Host"] == tencent.url.removeprefix("http://")
    assert headers["Authorization"].startswith("TC3-HMAC-SHA256 Credential=AKIDtest/")
    assert "secret-key-for-tests" not in json.dumps(request)
    assert body["PhoneNumberSet"] == ["+8613800138000"]
    assert body["SmsSdkAppId"] == "1400006666"
    assert body["SignName"] == "守护志愿"
    assert body["TemplateId"] == "1100001"
    assert body["TemplateParamSet"] == ["123456"]


def test_english_reader_gets_the_english_template_and_falls_back_to_the_chinese_one(tencent):
    sms = TencentSms.from_config(sms_config(tencent))
    sms.send(code_message(locale="en"))
    sms.send(
        Outgoing(address="13800138000", subject="", body="", template="shift_reminder", params=["周六"], locale="en")
    )
    sms.send(Outgoing(address="13800138000", subject="", body="", template="shift_reminder", params=["周六"]))

    assert [r["body"]["TemplateId"] for r in tencent.requests] == ["2200001", "1100002", "1100002"]


def test_template_id_mapping():
    sms = TencentSms(secret_id="x", secret_key="y", app_id="1", sign_name="s", templates=TEMPLATES)
    assert sms.template_id("signin_code", "zh_Hans_CN") == "1100001"
    assert sms.template_id("signin_code", "en") == "2200001"
    assert sms.template_id("signin_code", "en_US") == "2200001"
    assert sms.template_id("shift_reminder", "en") == "1100002"
    assert sms.template_id("broadcast", "zh_Hans_CN") == ""


def test_kind_without_a_template_id_fails_for_good_without_calling_the_provider(tencent):
    result = TencentSms.from_config(sms_config(tencent)).send(
        Outgoing(address="13800138000", subject="", body="", template="broadcast", params=[])
    )

    assert not result.ok and not result.retry
    assert result.error.startswith("TemplateNotConfigured: no template id configured for 'broadcast'")
    assert tencent.requests == []


def test_unreadable_template_setting_is_named_in_the_error(tencent):
    result = TencentSms.from_config(sms_config(tencent, TENCENT_SMS_TEMPLATES="{signin_code: 1}")).send(code_message())

    assert not result.ok and not result.retry
    assert "TENCENT_SMS_TEMPLATES is not a JSON object" in result.error
    assert tencent.requests == []


def test_rate_limited_number_is_retried_later(tencent):
    tencent.answers = [
        status_answer(
            "+8613800138000",
            "LimitExceeded.PhoneNumberThirtySecondLimit",
            "the number of sms messages sent from a single mobile number within 30 seconds exceeds the upper limit",
        ),
        status_answer("+8613800138000", "LimitExceeded.PhoneNumberDailyLimit", "daily limit reached"),
    ]
    sms = TencentSms.from_config(sms_config(tencent))
    first, second = sms.send(code_message()), sms.send(code_message())

    assert not first.ok and first.retry
    assert first.error.startswith("LimitExceeded.PhoneNumberThirtySecondLimit: the number of sms messages")
    assert not second.ok and second.retry
    assert second.error == "LimitExceeded.PhoneNumberDailyLimit: daily limit reached"


def test_invalid_number_fails_for_good(tencent):
    tencent.answers = [
        status_answer("+8613800138000", "InvalidParameterValue.IncorrectPhoneNumber", "incorrect phone number")
    ]
    result = TencentSms.from_config(sms_config(tencent)).send(code_message())

    assert not result.ok and not result.retry
    assert result.error == "InvalidParameterValue.IncorrectPhoneNumber: incorrect phone number"


@pytest.mark.parametrize(
    "code",
    [
        "FailedOperation.TemplateIncorrectOrUnapproved",
        "FailedOperation.SignatureIncorrectOrUnapproved",
        "AuthFailure.SignatureFailure",
    ],
)
def test_template_sign_and_authentication_errors_fail_for_good(tencent, code):
    tencent.answers = [error_answer(code, "refused")]
    result = TencentSms.from_config(sms_config(tencent)).send(code_message())

    assert not result.ok and not result.retry
    assert result.error == f"{code}: refused"


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (
            ("status", 500, "<html>Internal Server Error</html>"),
            "ServerNetworkError: <html>Internal Server Error</html>",
        ),
        (("status", 502, "bad gateway"), "ServerNetworkError: bad gateway"),
        ("close", "ClientNetworkError: "),
        (error_answer("InternalError", "an internal error occurred"), "InternalError: an internal error occurred"),
        (error_answer("RequestLimitExceeded", "too many requests"), "RequestLimitExceeded: too many requests"),
        (("status", 200, "<html>gateway page</html>"), "JSONDecodeError: "),
    ],
)
def test_outages_are_retried_later(tencent, answer, error):
    tencent.answers = [answer]
    result = TencentSms.from_config(sms_config(tencent)).send(code_message())

    assert not result.ok and result.retry
    assert result.error.startswith(error)
    assert len(result.error) <= 255


def test_slow_provider_times_out_and_is_retried(tencent):
    tencent.answers = [("sleep", 1.5)]
    sms = TencentSms.from_config(sms_config(tencent))
    sms.timeout = 0.3
    result = sms.send(code_message())

    assert not result.ok and result.retry
    assert result.error.startswith("ClientNetworkError")


def test_unreachable_provider_is_retried_later(tencent):
    url = tencent.url
    tencent.shutdown()
    tencent.server_close()
    result = TencentSms.from_config(sms_config(tencent, TENCENT_SMS_ENDPOINT=url)).send(code_message())

    assert not result.ok and result.retry
    assert result.error.startswith("ClientNetworkError")


def test_long_provider_message_is_cut_to_the_column(tencent):
    tencent.answers = [error_answer("FailedOperation.ContainSensitiveWord", "词" * 400)]
    result = TencentSms.from_config(sms_config(tencent)).send(code_message())

    assert len(result.error) == 255
    assert result.error.startswith("FailedOperation.ContainSensitiveWord: 词")


def test_missing_keys_fail_for_good_without_calling_the_provider(tencent):
    result = TencentSms.from_config(sms_config(tencent, TENCENT_SECRET_ID="")).send(code_message())

    assert not result.ok and not result.retry
    assert result.error.startswith("InvalidCredential")
    assert tencent.requests == []


def test_variables_are_fitted_before_sending(tencent):
    TencentSms.from_config(sms_config(tencent)).send(
        Outgoing(
            address="138 0013 8000", subject="", body="", template="shift_reminder", params=["【周六】 上午\n活动", "7"]
        )
    )

    [request] = tencent.requests
    assert request["body"]["PhoneNumberSet"] == ["+8613800138000"]
    assert request["body"]["TemplateParamSet"] == ["周六 上午", "7"]  # cut to 6, no trailing space


def test_number_too_long_for_a_variable_fails_for_good_without_calling_the_provider(tencent):
    result = TencentSms.from_config(sms_config(tencent)).send(
        Outgoing(address="13800138000", subject="", body="", template="signin_code", params=["1234567"])
    )

    assert not result.ok and not result.retry
    assert result.error.startswith("InvalidParameterValue.TemplateParameterLengthLimit: variable 1 has 7 digits")
    assert tencent.requests == []


def test_address_that_is_not_a_mainland_mobile_fails_for_good_without_calling_the_provider(tencent):
    result = TencentSms.from_config(sms_config(tencent)).send(code_message(address="0516-8888888"))

    assert not result.ok and not result.retry
    assert result.error.startswith("InvalidParameterValue.IncorrectPhoneNumber: not a mainland mobile number")
    assert tencent.requests == []


def test_text_variables_are_cut_to_the_allowed_characters():
    assert fit_params(["丰县志愿者协会活动", "Saturday"]) == ["丰县志愿者协", "Saturd"]
    assert fit_params(["丰县志愿者协会活动"], max_length=12) == ["丰县志愿者协会活动"]
    assert fit_params(["  周六\t上午  "]) == ["周六 上午"]


def test_sign_brackets_are_removed_from_variables():
    assert fit_params(["【守护】"]) == ["守护"]


def test_a_code_stays_digits_and_is_never_cut():
    assert fit_params(["012345"]) == ["012345"]
    assert fit_params(["12"]) == ["12"]
    with pytest.raises(ValueError, match="variable 2 has 7 digits"):
        fit_params(["ok", "1234567"])


def test_mainland_numbers_take_the_e164_form():
    assert mainland_number("13800138000") == "+8613800138000"
    assert mainland_number("+86 138-0013-8000") == "+8613800138000"
    assert mainland_number("8613800138000") == "+8613800138000"
    for wrong in ("1380013800", "23800138000", "+1 415 555 0100", ""):
        with pytest.raises(ValueError):
            mainland_number(wrong)


@pytest.mark.parametrize(
    ("code", "retry"),
    [
        ("LimitExceeded.PhoneNumberOneHourLimit", True),
        ("LimitExceeded.AppDailyLimit", True),
        ("RequestLimitExceeded.UinLimitExceeded", True),
        ("InternalError.Timeout", True),
        ("LimitExceeded.PhoneNumberCountLimit", False),
        ("LimitExceeded.AppCountryOrRegionInBlacklist", False),
        ("InternalError.RequestTimeException", False),
        ("FailedOperation.PhoneNumberInBlacklist", False),
        ("FailedOperation.InsufficientBalanceInSmsPackage", False),
        ("InvalidParameterValue.TemplateParameterFormatError", False),
        ("UnauthorizedOperation.SmsSdkAppIdVerifyFail", False),
        ("AuthFailure.SecretIdNotFound", False),
        ("LimitExceededSomething", False),
    ],
)
def test_which_codes_are_retried(code, retry):
    assert is_retryable(code) is retry


def test_sender_for_names_tencent_when_configured(tencent, tmp_path):
    config = make_test_config(f"sqlite:///{tmp_path / 'unused.sqlite3'}", SMS_BACKEND="tencent", **sms_config(tencent))
    app = create_app(config)
    with app.app_context():
        sender = sender_for(Channel.SMS)
        result = sender.send(code_message())

    assert isinstance(sender, TencentSms)
    assert result.ok
    assert tencent.requests[0]["body"]["SmsSdkAppId"] == "1400006666"
