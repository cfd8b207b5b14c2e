// The GOV.UK timeout warning: a modal dialog SESSION_WARNING_SECONDS before the session ends.
// Loaded as a static module (the CSP allows no inline script). It reads its times from the page
// (data-seconds-left counts from when the server rendered it, so the user's clock does not matter),
// keeps focus inside the dialog, and answers Escape and "Stay signed in" by restarting the idle clock
// with one POST; when time runs out a form that keeps drafts is posted (it is kept, encrypted, for its
// author), and any other page goes to sign-in, so nothing is left on the screen. Nothing is written
// to the browser's storage.

const notice = document.querySelector("[data-module='app-timeout-warning']");
const dialog = document.getElementById("app-timeout-dialog");

if (notice && dialog && typeof dialog.showModal === "function") {
  const warningMs = Number(notice.dataset.warningSeconds) * 1000;
  const countdown = dialog.querySelector("[data-timeout-countdown]");
  const live = dialog.querySelector("[data-timeout-live]");
  const clock = notice.querySelector("[data-timeout-clock]");
  const keepAlive = dialog.querySelector("[data-timeout-keep-alive]");
  const draftForm = Array.from(document.querySelectorAll("form")).find(
    (form) => form.querySelector("input[name='draft_binding']"));
  let deadline = performance.now() + Number(notice.dataset.secondsLeft) * 1000;
  let absolute = notice.dataset.absolute === "true";
  let timers = [];
  let ticking = null;
  let lastAnnounced = "";
  let returnFocus = null;
  let ended = false;

  if (draftForm) {
    dialog.querySelector("[data-timeout-draft]").hidden = false;
  }

  const remainingMs = () => Math.max(0, deadline - performance.now());

  const inWords = (ms) => {
    const seconds = Math.ceil(ms / 1000);
    if (seconds > 60) {
      const minutes = Math.ceil(seconds / 60);
      return `${minutes} minutes`;
    }
    if (seconds === 60) return "1 minute";
    return seconds === 1 ? "1 second" : `${seconds} seconds`;
  };

  // What a screen reader hears: at the start, then each minute, then every 15 seconds of the last one.
  const announcement = (ms) => {
    const seconds = Math.ceil(ms / 1000);
    const step = seconds > 60 ? Math.ceil(seconds / 60) * 60 : Math.ceil(seconds / 15) * 15;
    return `We will sign you out in ${inWords(step * 1000)}.`;
  };

  const tick = () => {
    const ms = remainingMs();
    countdown.textContent = `We will sign you out in ${inWords(ms)}.`;
    const said = announcement(ms);
    if (said !== lastAnnounced) {
      lastAnnounced = said;
      live.textContent = said;
    }
    if (ms <= 0) timeUp();
  };

  const focusable = () => Array.from(dialog.querySelectorAll("button, a[href], input:not([type='hidden'])"))
    .filter((element) => !element.disabled && element.offsetParent !== null);

  const open = () => {
    if (dialog.open || ended) return;
    returnFocus = document.activeElement;
    dialog.querySelector("[data-timeout-absolute]").hidden = !absolute;
    dialog.showModal();
    dialog.querySelector("[data-timeout-stay]").focus();
    lastAnnounced = "";
    tick();
    ticking = window.setInterval(tick, 1000);
  };

  const close = () => {
    window.clearInterval(ticking);
    ticking = null;
    live.textContent = "";
    if (dialog.open) dialog.close();
    if (returnFocus && typeof returnFocus.focus === "function") returnFocus.focus();
  };

  const schedule = () => {
    timers.forEach((timer) => window.clearTimeout(timer));
    const ms = remainingMs();
    timers = [
      window.setTimeout(open, Math.max(0, ms - warningMs)),
      window.setTimeout(timeUp, ms + 1000),
    ];
  };

  function timeUp() {
    if (ended) return;
    ended = true;
    timers.forEach((timer) => window.clearTimeout(timer));
    window.clearInterval(ticking);
    if (draftForm) {
      // Kept as a draft (encrypted, for its author only), never sent: see drafts/web.py.
      const marker = document.createElement("input");
      marker.type = "hidden";
      marker.name = "draft_only";
      marker.value = "1";
      draftForm.appendChild(marker);
      draftForm.submit();
    } else {
      window.location.assign(notice.dataset.signedOutUrl);
    }
  }

  const staySignedIn = async () => {
    try {
      const response = await fetch(keepAlive.action, {
        method: "POST",
        body: new FormData(keepAlive),
        credentials: "same-origin",
        redirect: "manual",
        headers: { Accept: "application/json" },
      });
      if (!response.ok || response.type === "opaqueredirect") throw new Error("signed out");
      const answer = await response.json();
      deadline = performance.now() + answer.seconds_left * 1000;
      absolute = answer.absolute;
      clock.textContent = answer.ends_at_text;
      close();
      schedule();
    } catch (error) {
      timeUp();
    }
  };

  keepAlive.addEventListener("submit", (event) => {
    event.preventDefault();
    staySignedIn();
  });

  // Escape means "Stay signed in" (as in the GOV.UK pattern), never an unexplained close.
  dialog.addEventListener("cancel", (event) => {
    event.preventDefault();
    staySignedIn();
  });

  // Keep Tab and Shift+Tab inside the dialog.
  dialog.addEventListener("keydown", (event) => {
    if (event.key !== "Tab") return;
    const items = focusable();
    if (!items.length) return;
    const first = items[0];
    const last = items[items.length - 1];
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  });

  schedule();
}
