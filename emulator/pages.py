"""The HTML pages of the emulated SSO (written for the emulator; same structure and markers as Tesla's)."""

from __future__ import annotations

from html import escape
import json
import secrets

from .apps import FIXED_SCOPES, SCOPE_TEXT
from .records import Transaction

_HEAD = """<!doctype html>
<html lang="en">
<head>
  <title>{title}</title>
  <meta charset="utf-8" />
  <meta name="viewport" content="width=device-width, initial-scale=1" />
  <style>
    body {{ font-family: sans-serif; background: #f4f4f4; margin: 0; }}
    main {{ max-width: 26em; margin: 3em auto; background: #fff; padding: 2em; border-radius: 6px; }}
    label, input, button, select {{ display: block; width: 100%; margin: .4em 0; box-sizing: border-box; }}
    input, select {{ padding: .5em; }} button {{ padding: .6em; }}
    .tds-form-feedback {{ color: #b00020; }} .emulator-note {{ color: #666; font-size: small; }}
  </style>
{script}
</head>
<body>
<main id="main-content">
"""
_FOOT = """
<p class="emulator-note">Local Tesla SSO emulator &mdash; not Tesla.</p>
</main>
</body>
</html>
"""


def _script_json(value: object) -> str:
    """JSON that is safe inside an inline script (and on one line, as clients parse it)."""
    return json.dumps(value, separators=(", ", ": ")).replace("</", "<\\/")


def _page(title: str, body: str, script: str = "") -> str:
    return _HEAD.format(title=escape(title), script=script) + body + _FOOT


def login_page(
    transaction: Transaction,
    *,
    sso_path: str,
    identity: str = "",
    messages: dict[str, str] | None = None,
    captcha: bool = False,
    recaptcha: bool = False,
) -> str:
    """The sign-in form (`id="form"`), with the captcha or reCAPTCHA widget when asked for."""
    messages = messages or {}
    nonce = secrets.token_hex(10)
    script = f"""  <script type="text/javascript" nonce="{nonce}">
    document.addEventListener("DOMContentLoaded", function(event) {{
      var messages = {_script_json(messages)};

      for (var prop in messages) {{
        var box = document.querySelector("[data-field='" + prop + "'] .tds-form-feedback")
          || document.querySelector("[data-field='_'] .tds-form-feedback");
        if (box) {{ box.textContent = messages[prop]; }}
      }}

      var form = document.getElementById("form");
      var cancel = form.querySelector("#form-submit-cancel");
      cancel.addEventListener("click", function(event) {{
        form.querySelector("#form-input-cancel").value = "1";
        form.submit();
      }});
    }});
  </script>"""
    feedback = "".join(f"<p>{escape(text)}</p>" for text in messages.values())
    captcha_html = ""
    if captcha:
        captcha_html = f"""
    <div class="tds-form-item" data-field="captcha">
      <label for="form-input-captcha">Enter the characters in the picture</label>
      <img data-id="captcha" src="{escape(sso_path)}/captcha" alt="captcha" width="150" height="50" />
      <input class="tds-text-input" id="form-input-captcha" type="text" name="captcha" value="" autocomplete="off" autocapitalize="none" />
      <div class="tds-form-feedback"></div>
    </div>"""
    recaptcha_html = ""
    if recaptcha:
        recaptcha_html = """
    <div class="tds-form-item" data-field="recaptcha">
      <div class="g-recaptcha" data-sitekey="emulated-recaptcha-site-key">
        <label><span>I'm not a robot</span><span id="g-recaptcha-widget"></span></label>
      </div>
      <script type="text/javascript">
        // Only this page mentions reCAPTCHA: clients detect it by these markers.
        document.getElementById("g-recaptcha-widget").outerHTML =
          '<input type="checkbox" id="g-recaptcha-checkbox" name="g-recaptcha-checkbox" />';
        document.getElementById("g-recaptcha-checkbox").addEventListener("change", function() {
          var answer = document.createElement("input");
          answer.type = "hidden";
          answer.name = "g-recaptcha-response";
          answer.value = "emulated-" + Date.now();
          document.getElementById("form").appendChild(answer);
        });
      </script>
      <div class="tds-form-feedback"></div>
    </div>"""
    body = f"""  <h1>Sign In</h1>
  <div class="tds-status_msg" role="alert" data-field="_"><div class="tds-form-feedback">{feedback}</div></div>
  <form method="post" id="form" class="sso-form sign-in-form">
    <input type="hidden" name="_csrf" value="{escape(transaction.csrf)}" />
    <input type="hidden" name="_phase" value="authenticate" />
    <input type="hidden" name="_process" value="1" />
    <input type="hidden" name="transaction_id" value="{escape(transaction.id)}" />
    <input type="hidden" name="cancel" value="" id="form-input-cancel" />
    <div class="tds-form-item" data-field="identity">
      <label for="form-input-identity">Email Address</label>
      <input class="tds-text-input" id="form-input-identity" type="text" name="identity" value="{escape(identity)}" autocomplete="username" autocapitalize="none" />
      <div class="tds-form-feedback"></div>
    </div>
    <div class="tds-form-item" data-field="credential">
      <label for="form-input-credential">Password</label>
      <input class="tds-text-input" id="form-input-credential" type="password" name="credential" autocomplete="current-password" autocapitalize="none" />
      <div class="tds-form-feedback"></div>
    </div>{captcha_html}{recaptcha_html}
    <button type="submit" id="form-submit-continue">Sign In</button>
    <button type="button" id="form-submit-cancel">Cancel</button>
  </form>"""
    return _page("Tesla SSO - Sign In", body, script)


def mfa_page(transaction: Transaction, *, sso_path: str) -> str:
    """The page POST /authorize answers when a second factor is needed (no form inputs in the HTML)."""
    config = _script_json(
        {
            "transactionId": transaction.id,
            "_csrf": transaction.mfa_csrf,
            "factorsUrl": f"{sso_path}/authorize/mfa/factors?transaction_id={transaction.id}",
            "verifyUrl": f"{sso_path}/authorize/mfa/verify",
            "backupUrl": f"{sso_path}/authorize/mfa/backupcodes/attempt",
        }
    )
    script = f"""  <script type="text/javascript" nonce="{secrets.token_hex(10)}">
    var appState = {{ factors: [] }};
    var config = {config};
    // Endpoints: /authorize/mfa/factors, /authorize/mfa/verify, /authorize/mfa/backupcodes/attempt
    function say(text) {{ document.getElementById("mfa-message").textContent = text; }}
    function submitSelf() {{
      var form = document.createElement("form");
      form.method = "post";
      var field = document.createElement("input");
      field.type = "hidden"; field.name = "transaction_id"; field.value = config.transactionId;
      form.appendChild(field); form.style.display = "none";
      document.body.appendChild(form); form.submit();
    }}
    function post(url, body) {{
      return fetch(url, {{ method: "POST", headers: {{ "Content-Type": "application/json" }},
        body: JSON.stringify(body), credentials: "same-origin" }}).then(function (r) {{ return r.json(); }});
    }}
    function verify() {{
      var factorId = document.getElementById("mfa-factor").value;
      var passcode = document.getElementById("mfa-passcode").value;
      post(config.verifyUrl, {{ transaction_id: config.transactionId, factor_id: factorId, passcode: passcode, _csrf: config._csrf }})
        .then(function (response) {{
          if (response.error) {{ say(response.error.message + " (" + response.error.code + ")"); return; }}
          if (!response.data.valid) {{ say("Invalid passcode. Try again."); return; }}
          submitSelf();
        }});
    }}
    function backup() {{
      var code = document.getElementById("mfa-passcode").value;
      post(config.backupUrl, {{ transaction_id: config.transactionId, backup_code: code, _csrf: config._csrf }})
        .then(function (response) {{
          var data = response.data || {{}};
          if (data.valid) {{ submitSelf(); return; }}
          say(data.locked ? "Backup passcodes locked." : "Invalid backup passcode (" + data.attemptsRemaining + " attempts left).");
        }});
    }}
    document.addEventListener("DOMContentLoaded", function () {{
      fetch(config.factorsUrl, {{ credentials: "same-origin" }}).then(function (r) {{ return r.json(); }})
        .then(function (response) {{
          appState.factors = response.data || [];
          var box = document.getElementById("mfa-controls");
          var select = document.createElement("select"); select.id = "mfa-factor";
          appState.factors.forEach(function (f) {{
            var option = document.createElement("option"); option.value = f.id; option.textContent = f.name;
            select.appendChild(option);
          }});
          var passcode = document.createElement("input");
          passcode.id = "mfa-passcode"; passcode.name = "passcode"; passcode.autocomplete = "one-time-code";
          var go = document.createElement("button"); go.textContent = "Verify"; go.onclick = verify;
          var alt = document.createElement("button"); alt.textContent = "Use a backup passcode"; alt.onclick = backup;
          box.appendChild(select); box.appendChild(passcode); box.appendChild(go); box.appendChild(alt);
        }});
    }});
  </script>"""
    body = """  <h1>Multi-Factor Authentication</h1>
  <p>Enter the passcode from your authenticator app.</p>
  <div id="mfa-controls"></div>
  <p id="mfa-message" class="tds-form-feedback"></p>"""
    return _page("Tesla SSO - Sign In", body, script)


def consent_page(transaction: Transaction, *, app_name: str, scopes: list[str]) -> str:
    """A Fleet API app's consent form: one checkbox per requested scope, Allow or Deny.

    `openid` and `offline_access` are ticked and cannot be unticked (disabled, so a browser
    does not send them: the server adds them).
    """
    boxes = "".join(
        f"""
    <label class="consent-scope"><input type="checkbox" name="scope" value="{escape(scope)}" checked{" disabled" if scope in FIXED_SCOPES else ""} /> {escape(SCOPE_TEXT.get(scope, scope))} <code>{escape(scope)}</code></label>"""
        for scope in scopes
    )
    body = f"""  <h1>Allow access</h1>
  <p><strong>{escape(app_name)}</strong> is requesting access to your Tesla account.</p>
  <form method="post" id="consent-form" class="sso-form consent-form">
    <input type="hidden" name="_csrf" value="{escape(transaction.csrf)}" />
    <input type="hidden" name="_phase" value="consent" />
    <input type="hidden" name="transaction_id" value="{escape(transaction.id)}" />{boxes}
    <button type="submit" name="consent" value="allow" id="consent-allow">Allow</button>
    <button type="submit" name="consent" value="deny" id="consent-deny">Deny</button>
  </form>"""
    return _page("Tesla SSO - Consent", body)


def redirect_uri_refused_page(redirect_uri: str) -> str:
    """Tesla's answer to an authorize request whose redirect_uri is not allowed."""
    body = f"""  <h1>Oops! Something went wrong.</h1>
  <p>The redirect_uri '{escape(redirect_uri)}' is not registered for this 'client_id'.</p>"""
    return _page("Tesla SSO - Error", body)


def error_page(title: str, message: str) -> str:
    """A plain error page."""
    return _page(
        f"Tesla SSO - {title}",
        f"  <h1>{escape(title)}</h1>\n  <p>{escape(message)}</p>",
    )


def waf_block_page(url: str) -> str:
    """Akamai's 403 "Access Denied" page."""
    reference = (
        f"18.{secrets.token_hex(4)}.{secrets.randbelow(10**10)}.{secrets.token_hex(4)}"
    )
    return (
        "<HTML><HEAD>\n<TITLE>Access Denied</TITLE>\n</HEAD><BODY>\n<H1>Access Denied</H1>\n \n"
        f'You don\'t have permission to access "{escape(url)}" on this server.<P>\n'
        f"Reference #{reference}\n</BODY>\n</HTML>\n"
    )


def waf_challenge_page() -> str:
    """The edge's JavaScript challenge (a browser passes it, a script cannot)."""
    return (
        "<!DOCTYPE html>\n<html><head><title>Challenge Validation</title>\n"
        '<script type="text/javascript">setTimeout(function () { location.reload(); }, 5000);</script>\n'
        "</head><body>\n"
        "<noscript>Please enable JavaScript to view the page content.</noscript>\n"
        '<div id="sec-if-cpt-container"><p>Checking your browser&hellip;</p></div>\n'
        "</body></html>\n"
    )
