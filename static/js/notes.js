// Saves the treatment-note draft as the therapist types. Without this script the
// "Save draft" button does the same; nothing here is needed to write or sign a note.
(function () {
  "use strict";

  var form = document.getElementById("note-form");
  if (!form || !window.fetch || !window.FormData) {
    return;
  }
  var status = document.getElementById("autosave-status");
  var version = form.querySelector("input[name=version]");
  var url = form.getAttribute("data-autosave");
  // Text typed after an idle sign-out cannot reach the server; it waits in this tab until the
  // therapist signs in again and comes back. Cleared as soon as it is saved.
  var pendingKey = "note-draft-" + form.getAttribute("data-note");
  var DELAY = 1500;
  var timer = null;
  var inFlight = null;
  var dirty = false;
  var stopped = false;

  function say(message, isError) {
    status.textContent = message;
    status.classList.toggle("autosave-status--error", Boolean(isError));
  }

  function textFields() {
    return form.querySelectorAll("textarea");
  }

  function keepPending() {
    var text = {};
    textFields().forEach(function (field) { text[field.name] = field.value; });
    try {
      sessionStorage.setItem(pendingKey, JSON.stringify({ version: version.value, text: text }));
    } catch (e) { /* storage full or disabled: the server copy is all there is */ }
  }

  function dropPending() {
    try { sessionStorage.removeItem(pendingKey); } catch (e) { /* nothing kept */ }
  }

  function restorePending() {
    var kept;
    try { kept = JSON.parse(sessionStorage.getItem(pendingKey) || "null"); } catch (e) { kept = null; }
    // Only onto the very version it was typed over: never over someone else's later save.
    if (!kept || kept.version !== version.value) {
      dropPending();
      return;
    }
    textFields().forEach(function (field) {
      if (Object.prototype.hasOwnProperty.call(kept.text, field.name)) {
        field.value = kept.text[field.name];
      }
    });
    dirty = true;
    say("Restored text you typed before you were signed out. Saving…");
    save();
  }

  function save() {
    timer = null;
    if (!dirty || stopped) {
      return Promise.resolve();
    }
    dirty = false;
    keepPending();
    say("Saving draft…");
    inFlight = fetch(url, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (response.redirected || response.url.indexOf("/login") !== -1) {
        stopped = true;
        say("You have been signed out, so the latest text is not saved yet. It is kept in " +
            "this tab: sign in again and come back to this note.", true);
        return;
      }
      return response.json().then(function (body) {
        if (response.ok) {
          version.value = body.version;
          dropPending();
          say("Draft saved at " + body.saved_at + ".");
        } else {
          stopped = response.status === 409 || response.status === 403;
          say(body.error, true);
        }
      });
    }).catch(function () {
      dirty = true;
      say("Could not reach the clinic server; the draft will be saved when it answers. " +
          "Use Save draft to try now.", true);
    }).then(function () {
      inFlight = null;
    });
    return inFlight;
  }

  form.addEventListener("input", function (event) {
    if (event.target.tagName !== "TEXTAREA") {
      return;
    }
    dirty = true;
    keepPending();
    if (timer) {
      clearTimeout(timer);
    }
    timer = setTimeout(save, DELAY);
  });

  form.addEventListener("submit", function (event) {
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    stopped = true;
    if (inFlight) {
      // Let the save finish first so the form carries the version it produced.
      event.preventDefault();
      var submitter = event.submitter;
      inFlight.then(function () {
        form.requestSubmit(submitter);
      });
      return;
    }
    // What is kept for this tab stays until the next page shows the text saved: a form sent
    // after an idle sign-out lands on the sign-in page, and the text must not be lost there.
    keepPending();
  });

  restorePending();
})();
