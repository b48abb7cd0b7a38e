// The artist's page: record or pick a message, agree to the release, send it by tus, watch it being
// made, withdraw it. Plain JavaScript, no framework. Artist-typed and server-sent text only ever reaches
// the page through textContent: nothing here sets innerHTML.
(function () {
  'use strict';

  var body = document.body;
  var page = body.dataset.page;
  var $ = function (id) { return document.getElementById(id); };
  var LANG_KEY = 'quinte.lang';
  var S = null; // every string, by language then key
  var lang = document.documentElement.lang || 'en';
  var token = decodeURIComponent((location.pathname.split('/')[2] || ''));

  // ---- strings and language ----

  function t(key, args) {
    var s = (S && S[lang] && S[lang][key]) || (S && S.en && S.en[key]) || key;
    if (args) {
      Object.keys(args).forEach(function (k) { s = s.split('{' + k + '}').join(String(args[k])); });
    }
    return s;
  }

  function storedLang() {
    try { return localStorage.getItem(LANG_KEY); } catch (e) { return null; }
  }
  function storeLang(l) {
    try { localStorage.setItem(LANG_KEY, l); } catch (e) { /* private mode: the choice lasts this visit */ }
  }

  function preferredLang() {
    var l = storedLang();
    if (l && S[l]) return l;
    var nav = (navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || 'en']);
    for (var i = 0; i < nav.length; i++) {
      var base = String(nav[i]).toLowerCase().split('-')[0];
      if (S[base]) return base;
    }
    return 'en';
  }

  var onLang = []; // what re-renders itself when the language changes

  function applyLang(l) {
    lang = l;
    document.documentElement.lang = l;
    Array.prototype.forEach.call(document.querySelectorAll('[data-i18n]'), function (el) {
      el.textContent = t(el.dataset.i18n);
    });
    document.title = t('page_title') + ' · quinte';
    onLang.forEach(function (f) { f(); });
  }

  // ---- small helpers ----

  function show(el, on) { el.hidden = !on; }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }

  function api(path, opts) {
    opts = opts || {};
    opts.headers = Object.assign({ Authorization: 'Bearer ' + token }, opts.headers || {});
    opts.cache = 'no-store';
    return fetch(path, opts).then(function (res) {
      return res.text().then(function (txt) {
        var data = null;
        try { data = txt ? JSON.parse(txt) : null; } catch (e) { data = null; }
        if (!res.ok) {
          var err = new Error((data && data.error && data.error.message) || res.statusText);
          err.status = res.status;
          err.code = (data && data.error && data.error.code) || 'http_' + res.status;
          throw err;
        }
        return data;
      });
    });
  }

  // The error box: a sentence the artist can act on, from the API's error code.
  var lastError = null;
  function showError(code, fallback) {
    lastError = { code: code, fallback: fallback };
    renderError();
  }
  function clearError() { lastError = null; renderError(); }
  function renderError() {
    var box = $('error');
    if (!box) return;
    if (!lastError) { box.textContent = ''; show(box, false); return; }
    var key = 'err_' + lastError.code;
    var msg = (S && S.en && S.en[key]) ? t(key) : (lastError.fallback ? t(lastError.fallback) : t('err_generic', { code: lastError.code }));
    box.textContent = msg;
    box.dataset.code = lastError.code;
    show(box, true);
    if (box.scrollIntoView) box.scrollIntoView({ block: 'nearest' });
  }
  onLang.push(renderError);

  function errorCode(err) {
    if (!err) return 'network';
    var res = err.originalResponse;
    if (res && res.getStatus && res.getStatus() > 0) {
      try {
        var data = JSON.parse(res.getBody() || '');
        if (data && data.error && data.error.code) return data.error.code;
      } catch (e) { /* not JSON */ }
      var st = res.getStatus();
      if (st === 413) return 'too_large';
      if (st === 415) return 'unsupported_media';
      if (st >= 500) return 'storage_unavailable';
      return 'http_' + st;
    }
    return 'network';
  }

  function fmtTime(s) {
    s = Math.max(0, Math.floor(s));
    return Math.floor(s / 60) + ':' + ('0' + (s % 60)).slice(-2);
  }

  function fmtDate(iso) {
    var d = new Date(iso);
    if (isNaN(d)) return '';
    try {
      return d.toLocaleString(lang === 'it' ? 'it-IT' : 'en-GB', { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
    } catch (e) { return d.toISOString().slice(0, 16).replace('T', ' '); }
  }

  // ---- IndexedDB: what is being sent stays on the device until it has arrived ----

  var DB = 'quinte', STORE = 'pending';
  function idb() {
    return new Promise(function (resolve, reject) {
      if (!window.indexedDB) { reject(new Error('no IndexedDB')); return; }
      var req = indexedDB.open(DB, 1);
      req.onupgradeneeded = function () { req.result.createObjectStore(STORE, { keyPath: 'key' }); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }
  function idbDo(mode, fn) {
    return idb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var out = fn(tx.objectStore(STORE));
        tx.oncomplete = function () { db.close(); resolve(out && 'result' in out ? out.result : undefined); };
        tx.onerror = function () { db.close(); reject(tx.error); };
        tx.onabort = function () { db.close(); reject(tx.error); };
      });
    });
  }
  var idbPut = function (v) { return idbDo('readwrite', function (s) { return s.put(v); }); };
  var idbDel = function (k) { return idbDo('readwrite', function (s) { return s.delete(k); }); };
  var idbAll = function () { return idbDo('readonly', function (s) { return s.getAll(); }); };

  function newKey() {
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return ('0' + x.toString(16)).slice(-2); }).join('');
  }

  // ---- the invite and its messages ----

  var inv = null;

  function loadInvite() {
    return api('/v1/invite').then(function (data) {
      inv = data;
      renderInvite();
      return messagesOf(data).then(function (list) { renderMessages(list); return list; });
    });
  }

  // The invite's messages: objects with their status (and links when ready), or, from an older server,
  // their ids only, each then read on its own.
  function messagesOf(data) {
    var ms = (data && data.messages) || [];
    return Promise.all(ms.map(function (m) {
      if (typeof m !== 'string') return Promise.resolve(m);
      return api('/v1/messages/' + encodeURIComponent(m)).catch(function () { return null; });
    })).then(function (list) { return list.filter(Boolean); });
  }

  function maxSeconds() { return (inv && inv.max_seconds) || 120; }

  function renderInvite() {
    if (!inv || page !== 'artist') return;
    $('limit').textContent = t('limit', { seconds: maxSeconds() });
    $('remaining').textContent = inv.remaining === 1 ? t('remaining_one') : t('remaining_many', { n: inv.remaining });
    var prompts = inv.prompts || [];
    var list = $('prompt-list'), over = $('prompts-overlay');
    list.textContent = '';
    over.textContent = '';
    prompts.forEach(function (p) { list.appendChild(el('li', null, p)); over.appendChild(el('li', null, p)); });
    show($('prompts'), prompts.length > 0);
  }
  onLang.push(renderInvite);

  var lastList = [];
  var confirming = null; // the id whose withdrawal asks once more

  function renderMessages(list) {
    lastList = list || lastList;
    var ul = $('message-list');
    if (!ul) return;
    ul.textContent = '';
    var shown = lastList.slice();
    if (current && !current.id && current.entry) {
      // The one being sent: the server lists it once it has arrived.
      shown.push({ id: '', status: 'uploading', title: current.entry.title, artist: current.entry.artist, created_at: current.entry.created });
    }
    shown.sort(function (a, b) { return String(b.created_at).localeCompare(String(a.created_at)); }).forEach(function (m) {
      var li = el('li', 'message');
      li.dataset.id = m.id;
      li.dataset.state = m.status;
      var main = el('div', 'message-main');
      main.appendChild(el('span', 'message-title', m.status === 'revoked' ? t('withdrawn_message') : (m.title || t('untitled'))));
      var sub = el('span', 'message-sub', [m.artist, fmtDate(m.created_at)].filter(Boolean).join(' · '));
      main.appendChild(sub);
      li.appendChild(main);
      var badge = el('span', 'badge badge-' + m.status, t('state_' + m.status));
      badge.dataset.testid = 'message-status';
      li.appendChild(badge);
      if (m.status !== 'revoked' && m.id) {
        var actions = el('div', 'message-actions');
        var w = el('button', 'btn small danger', confirming === m.id ? t('withdraw_confirm') : t('withdraw'));
        w.type = 'button';
        w.dataset.testid = 'withdraw';
        w.addEventListener('click', function () { withdraw(m.id); });
        actions.appendChild(w);
        if (confirming === m.id) {
          var keep = el('button', 'btn small', t('withdraw_keep'));
          keep.type = 'button';
          keep.dataset.testid = 'withdraw-keep';
          keep.addEventListener('click', function () { confirming = null; renderMessages(); });
          actions.appendChild(keep);
          li.classList.add('confirming');
        }
        li.appendChild(actions);
      }
      ul.appendChild(li);
    });
    show($('messages-none'), shown.length === 0);
  }
  onLang.push(function () { renderMessages(); });

  function withdraw(id) {
    if (confirming !== id) { confirming = id; renderMessages(); return; }
    confirming = null;
    api('/v1/messages/' + encodeURIComponent(id) + '/revoke', { method: 'POST' }).then(function () {
      clearError();
      if (current && current.id === id) { stopPolling(); renderResult({ id: id, status: 'revoked' }); }
      return loadInvite();
    }).catch(function (err) {
      showError(err.code, 'err_withdraw');
      renderMessages();
    });
  }

  // ---- the release: its text in full, rendered from markdown without HTML ----

  var release = null;

  // renderMarkdown turns the small markdown of a release (headings, paragraphs, lists, **bold**) into
  // elements; everything is text, so nothing in it can become markup.
  function renderMarkdown(md, into) {
    into.textContent = '';
    var lines = String(md).replace(/\r\n?/g, '\n').split('\n');
    var para = [], list = null;
    function inline(parent, text) {
      var parts = text.split('**');
      parts.forEach(function (part, i) {
        if (!part) return;
        parent.appendChild(i % 2 ? el('strong', null, part) : document.createTextNode(part));
      });
    }
    function flushPara() {
      if (para.length) { var p = el('p'); inline(p, para.join(' ')); into.appendChild(p); para = []; }
    }
    function flushList() { if (list) { into.appendChild(list); list = null; } }
    lines.forEach(function (line) {
      var m;
      if (!line.trim()) { flushPara(); flushList(); return; }
      if ((m = /^(#{1,6})\s+(.*)$/.exec(line))) {
        flushPara(); flushList();
        var h = el('h' + Math.min(6, m[1].length + 2));
        inline(h, m[2].replace(/\s+#+\s*$/, ''));
        into.appendChild(h);
        return;
      }
      if ((m = /^\s*([-*+]|\d+[.)])\s+(.*)$/.exec(line))) {
        flushPara();
        var ordered = /\d/.test(m[1]);
        if (list && (list.tagName === 'OL') !== ordered) flushList();
        if (!list) list = el(ordered ? 'ol' : 'ul');
        var li = el('li');
        inline(li, m[2]);
        list.appendChild(li);
        return;
      }
      if (list && /^\s+\S/.test(line)) { // a list item's continuation line
        inline(list.lastChild, ' ' + line.trim());
        return;
      }
      flushList();
      para.push(line.trim());
    });
    flushPara(); flushList();
  }

  function loadRelease() {
    var box = $('release-text');
    var consent = $('consent');
    var want = lang;
    consent.checked = false;
    consent.disabled = true;
    release = null;
    box.textContent = '';
    box.appendChild(el('p', 'hint', t('release_loading')));
    $('release-version').textContent = '';
    return api('/v1/release?lang=' + encodeURIComponent(want)).then(function (r) {
      if (want !== lang) return; // switched again meanwhile
      release = r;
      renderMarkdown(r.text, box);
      $('release-version').textContent = t('release_version', { version: r.version });
      consent.disabled = false; // the whole text is on screen now
    }).catch(function () {
      if (want !== lang) return;
      box.textContent = '';
      box.appendChild(el('p', 'hint', t('release_unavailable')));
    });
  }

  // ---- recording ----

  var VIDEO_TYPES = ['video/mp4;codecs=avc1,mp4a', 'video/webm;codecs=vp9,opus', 'video/webm;codecs=vp8,opus', 'video/webm', 'video/mp4'];
  var AUDIO_TYPES = ['audio/mp4', 'audio/webm;codecs=opus', 'audio/webm', 'audio/ogg;codecs=opus'];

  var audioOnly = false, facing = 'user', stream = null, recorder = null, chunks = [], chunkType = '';
  var recStart = 0, timerId = null, countdownId = null, recorded = null, previewURL = null;

  function pickType(types) {
    if (!window.MediaRecorder) return null;
    if (typeof MediaRecorder.isTypeSupported !== 'function') return ''; // old Safari: it records MP4
    for (var i = 0; i < types.length; i++) if (MediaRecorder.isTypeSupported(types[i])) return types[i];
    return '';
  }

  function canRecord() {
    return window.isSecureContext !== false && navigator.mediaDevices && navigator.mediaDevices.getUserMedia && window.MediaRecorder;
  }

  function cameraProblem(key) {
    $('camera-problem-text').textContent = t(key);
    $('camera-problem').dataset.key = key;
    show($('camera-problem'), true);
    $('record').disabled = true;
    $('capture').dataset.phase = 'blocked'; // no camera here: the phone's own camera and the file picker
  }
  onLang.push(function () {
    var cp = $('camera-problem');
    if (cp && !cp.hidden) $('camera-problem-text').textContent = t(cp.dataset.key);
  });

  function stopStream() {
    if (stream) stream.getTracks().forEach(function (tr) { tr.stop(); });
    stream = null;
  }

  function startStream() {
    if (!canRecord()) {
      cameraProblem(window.isSecureContext === false ? 'insecure' : 'no_recorder');
      return Promise.reject(new Error('cannot record'));
    }
    stopStream();
    var c = audioOnly ? { audio: true } : {
      audio: true,
      video: { facingMode: facing, width: { ideal: 1280 }, height: { ideal: 720 } }
    };
    $('stage-empty').querySelector('p').textContent = t('camera_starting');
    return navigator.mediaDevices.getUserMedia(c).then(function (s) {
      stream = s;
      show($('camera-problem'), false);
      if ($('capture').dataset.phase === 'blocked') $('capture').dataset.phase = '';
      var live = $('live');
      show($('stage-empty'), false);
      if (audioOnly) {
        live.srcObject = null;
        show(live, false);
        show($('audio-stage'), true);
      } else {
        show($('audio-stage'), false);
        show(live, true);
        live.srcObject = s;
        live.classList.toggle('mirror', facing === 'user');
        var p = live.play();
        if (p && p.catch) p.catch(function () {});
      }
      $('stage').classList.add('on');
      $('record').disabled = false;
      show($('switch-camera'), !audioOnly);
      return s;
    }).catch(function (err) {
      $('stage-empty').querySelector('p').textContent = t('camera_allow');
      var name = err && err.name;
      if (name === 'NotAllowedError' || name === 'SecurityError') cameraProblem('camera_denied');
      else if (name === 'NotFoundError' || name === 'OverconstrainedError' || name === 'NotReadableError') cameraProblem('camera_missing');
      else cameraProblem('no_recorder');
      throw err;
    });
  }

  function setMode(audio) {
    if (recorder && recorder.state === 'recording') return;
    audioOnly = audio;
    $('mode-audio').classList.toggle('on', audio);
    $('mode-video').classList.toggle('on', !audio);
    $('mode-audio').setAttribute('aria-pressed', String(audio));
    $('mode-video').setAttribute('aria-pressed', String(!audio));
    $('start-camera').dataset.i18n = audio ? 'start_microphone' : 'start_camera';
    $('start-camera').textContent = t($('start-camera').dataset.i18n);
    $('stage').classList.toggle('audio', audio);
    $('capture').classList.toggle('audio', audio);
    if (stream) startStream().catch(function () {});
  }

  function record() {
    clearError();
    var ready = stream ? Promise.resolve(stream) : startStream();
    ready.then(function () {
      show($('switch-camera'), false);
      show($('record'), false);
      show($('stop'), true); // stops the countdown too
      show($('prompts-overlay'), $('prompts-overlay').children.length > 0);
      $('capture').dataset.phase = 'recording';
      var n = 3, cd = $('countdown');
      cd.textContent = String(n);
      show(cd, true);
      countdownId = setInterval(function () {
        n--;
        if (n > 0) { cd.textContent = String(n); return; }
        clearInterval(countdownId);
        countdownId = null;
        show(cd, false);
        beginRecording();
      }, 1000);
    }).catch(function () {});
  }

  function beginRecording() {
    var type = pickType(audioOnly ? AUDIO_TYPES : VIDEO_TYPES);
    chunks = [];
    chunkType = '';
    try {
      recorder = type ? new MediaRecorder(stream, { mimeType: type }) : new MediaRecorder(stream);
    } catch (e) {
      cameraProblem('no_recorder');
      return;
    }
    recorder.ondataavailable = function (e) {
      if (e.data && e.data.size) {
        chunks.push(e.data);
        if (!chunkType && e.data.type) chunkType = e.data.type; // some iOS chunks come without a type
      }
    };
    recorder.onstop = finishRecording;
    recorder.start(1000);
    recStart = Date.now();
    $('capture').dataset.phase = 'recording';
    show($('record'), false);
    show($('stop'), true);
    show($('timer'), true);
    show($('prompts-overlay'), $('prompts-overlay').children.length > 0);
    $('stage').classList.add('recording');
    tick();
    timerId = setInterval(tick, 250);
  }

  function tick() {
    var s = (Date.now() - recStart) / 1000;
    $('timer-text').textContent = fmtTime(s) + ' / ' + fmtTime(maxSeconds());
    if (s >= maxSeconds()) stopRecording();
  }

  function stopRecording() {
    if (countdownId) { // not started yet: back to the camera
      clearInterval(countdownId);
      countdownId = null;
      show($('countdown'), false);
      show($('stop'), false);
      show($('record'), true);
      show($('prompts-overlay'), false);
      show($('switch-camera'), !audioOnly);
      $('capture').dataset.phase = '';
      return;
    }
    if (timerId) { clearInterval(timerId); timerId = null; }
    if (recorder && recorder.state !== 'inactive') recorder.stop();
  }

  function finishRecording() {
    var secs = Math.round((Date.now() - recStart) / 1000);
    var type = (chunkType || (recorder && recorder.mimeType) || (audioOnly ? 'audio/mp4' : 'video/mp4')).split(';')[0];
    var blob = new Blob(chunks, { type: type });
    chunks = [];
    recorder = null;
    var ext = type.indexOf('webm') >= 0 ? 'webm' : type.indexOf('ogg') >= 0 ? 'ogg' : (audioOnly ? 'm4a' : 'mp4');
    var stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
    recorded = { blob: blob, name: (audioOnly ? 'voice-note-' : 'recording-') + stamp + '.' + ext, type: type, seconds: secs, recording: true };
    stopStream();
    $('stage').classList.remove('recording', 'on');
    show($('timer'), false);
    show($('prompts-overlay'), false);
    show($('stop'), false);
    show($('record'), true);
    show($('rec-controls'), false);
    show($('stage'), false);
    if (previewURL) URL.revokeObjectURL(previewURL);
    previewURL = URL.createObjectURL(blob);
    var v = $('preview-video'), a = $('preview-audio');
    show(v, !audioOnly);
    show(a, audioOnly);
    (audioOnly ? a : v).src = previewURL;
    show($('preview'), true);
    $('capture').dataset.phase = 'preview';
  }

  function retake() {
    if (previewURL) { URL.revokeObjectURL(previewURL); previewURL = null; }
    $('preview-video').removeAttribute('src');
    $('preview-audio').removeAttribute('src');
    recorded = null;
    $('capture').dataset.phase = '';
    show($('preview'), false);
    show($('stage'), true);
    show($('rec-controls'), true);
    show($('stage-empty'), true);
    show($('live'), false);
    $('record').disabled = false;
    startStream().catch(function () {});
  }

  // ---- choosing what to send ----

  var chosen = null; // {blob, name, type, seconds?, recording?}

  function choose(item) {
    clearError();
    chosen = item;
    stopStream();
    var v = $('preview-video');
    if (!v.paused) v.pause();
    show($('capture'), false);
    show($('details'), true);
    renderChosen();
    if (!release) loadRelease();
    $('artist').focus({ preventScroll: true });
    $('details').scrollIntoView({ block: 'start' });
  }

  function renderChosen() {
    if (!chosen) return;
    $('chosen-text').textContent = t('chosen', { name: chosen.recording ? t('chosen_recording', { seconds: chosen.seconds }) : chosen.name });
  }
  onLang.push(renderChosen);

  function backToCapture() {
    chosen = null;
    show($('details'), false);
    show($('capture'), true);
    if (recorded) { show($('preview'), true); } else { retake(); }
  }

  function picked(input) {
    var f = input.files && input.files[0];
    if (!f) return;
    input.value = '';
    if (f.size === 0) { showError('empty_file'); return; }
    choose({ blob: f, name: f.name || 'file', type: f.type || 'application/octet-stream' });
  }

  // ---- sending ----

  var current = null; // the upload on screen: {entry, upload, id}

  function submit(e) {
    e.preventDefault();
    clearError();
    var artist = $('artist').value.trim().replace(/\s+/g, ' ');
    var title = $('title').value.trim().replace(/\s+/g, ' ');
    $('artist').value = artist;
    $('title').value = title;
    if (!artist) { showError('artist_required'); $('artist').focus(); return; }
    if (!title) { showError('title_required'); $('title').focus(); return; }
    if (!release) { showError('release_unavailable', 'release_unavailable'); return; }
    if (!$('consent').checked) { showError('consent_required'); $('consent').focus(); return; }
    var entry = {
      key: newKey(), invite: inv && inv.id, blob: chosen.blob, name: chosen.name, type: chosen.type,
      artist: artist, title: title, created: new Date().toISOString(),
      consent: { version: release.version, lang: release.lang || lang, sha256: release.sha256, agreed_at: new Date().toISOString() }
    };
    $('submit').disabled = true;
    if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(function () {});
    idbPut(entry).then(function () { return true; }, function () { return false; }).then(function (kept) {
      send(entry, false);
      // No room on the device (or no IndexedDB): it is sent all the same, only not kept, and the page says so.
      $('upload-kept').dataset.i18n = kept ? 'upload_kept' : 'upload_not_kept';
      $('upload-kept').textContent = t($('upload-kept').dataset.i18n);
    });
  }

  function send(entry, resumed) {
    if ($('closed')) show($('closed'), false);
    show($('capture'), false);
    show($('details'), false);
    show($('result'), false);
    show($('upload'), true);
    show($('resume-note'), resumed);
    show($('pause'), true);
    show($('resume'), false);
    setProgress(0, entry.blob.size);
    var c = entry.consent;
    var upload = new tus.Upload(entry.blob, {
      endpoint: '/v1/uploads/',
      headers: { Authorization: 'Bearer ' + token },
      metadata: {
        filename: entry.name, filetype: entry.type, artist: entry.artist, title: entry.title,
        consent_version: c.version, consent_lang: c.lang, consent_sha256: c.sha256, consent_agreed_at: c.agreed_at
      },
      chunkSize: 8 * 1024 * 1024,
      retryDelays: [0, 1000, 3000, 5000, 10000, 20000, 30000, 60000, 60000, 60000, 120000, 120000],
      storeFingerprintForResuming: true,
      removeFingerprintOnSuccess: true,
      fingerprint: function () { return Promise.resolve('quinte-' + entry.key); },
      onShouldRetry: function (err) {
        var st = err.originalResponse ? err.originalResponse.getStatus() : 0;
        var retry = st === 0 || st === 409 || st === 423 || st >= 500;
        if (retry) { $('progress-text').textContent = st >= 500 ? t('upload_storage_retrying') : t('upload_retrying'); }
        return retry;
      },
      onProgress: function (sent, total) { setProgress(sent, total); },
      onSuccess: function (payload) {
        var id = payload && payload.lastResponse && payload.lastResponse.getHeader('Quinte-Message-Id');
        if (!id && upload.url) id = decodeURIComponent(upload.url.split('/').pop()).split('+')[0];
        idbDel(entry.key).catch(function () {});
        current.id = id;
        uploaded(id);
      },
      onError: function (err) {
        var code = errorCode(err);
        var permanent = err.originalResponse && err.originalResponse.getStatus() >= 400 && err.originalResponse.getStatus() < 500;
        if (permanent) {
          // Refused for good (not media, too large, the invite used up): keeping it would only fail again.
          idbDel(entry.key).catch(function () {});
          current = null;
          showError(code);
          show($('upload'), false);
          show($('resume-note'), false);
          resetCapture();
          loadInvite().catch(function () {});
          return;
        }
        showError(code === 'storage_unavailable' ? code : 'network');
        show($('pause'), false);
        show($('resume'), true);
      }
    });
    current = { entry: entry, upload: upload, id: null };
    renderMessages();
    upload.findPreviousUploads().then(function (prev) {
      if (prev.length) upload.resumeFromPreviousUpload(prev[0]);
      upload.start();
    });
  }

  var lastProgress = { sent: 0, total: 0 };
  function setProgress(sent, total) {
    lastProgress = { sent: sent, total: total };
    var pct = total ? Math.floor(sent * 100 / total) : 0;
    $('progress').value = pct;
    $('progress').dataset.sent = String(sent);
    $('progress-text').textContent = t('upload_percent', { percent: pct });
  }
  onLang.push(function () { if (current && !current.id) setProgress(lastProgress.sent, lastProgress.total); });

  function pause() {
    if (!current) return;
    current.upload.abort();
    show($('pause'), false);
    show($('resume'), true);
    var pct = lastProgress.total ? Math.floor(lastProgress.sent * 100 / lastProgress.total) : 0;
    $('progress-text').textContent = t('upload_paused', { percent: pct });
  }

  function resume() {
    if (!current) return;
    clearError();
    show($('pause'), true);
    show($('resume'), false);
    current.upload.start();
  }

  // ---- after the upload: the message being made ----

  var pollId = null, lastResult = null;

  function uploaded(id) {
    $('result').dataset.uploadedAt = String(Date.now()); // the tests measure from here to the poster
    delete $('result').dataset.posterAt;
    delete $('result').dataset.posterWhile;
    show($('upload'), false);
    show($('resume-note'), false);
    clearError();
    renderResult({ id: id, status: 'uploaded' });
    poll();
  }

  function posterShown() {
    var r = $('result');
    if (r.dataset.uploadedAt && !r.dataset.posterAt) {
      r.dataset.posterAt = String(Date.now());
      r.dataset.posterWhile = lastResult ? lastResult.status : ''; // the tests say whether it came before the rest
    }
  }

  function stopPolling() { if (pollId) { clearTimeout(pollId); pollId = null; } }

  function poll() {
    stopPolling();
    if (!current || !current.id) return;
    var id = current.id;
    loadInvite().then(function (list) {
      var m = list.filter(function (x) { return x.id === id; })[0];
      if (!m) return api('/v1/messages/' + encodeURIComponent(id));
      return m;
    }).then(function (m) {
      if (!current || current.id !== id) return;
      renderResult(m);
      if (m.status !== 'ready' && m.status !== 'failed' && m.status !== 'revoked') pollId = setTimeout(poll, 1500);
    }).catch(function () {
      pollId = setTimeout(poll, 4000);
    });
  }

  // failReason is why a message could not be made, in the page's language for the codes a person can
  // act on; the API's own sentence (English) for the others.
  function failReason(e) {
    if (!e) return '';
    var key = 'fail_' + e.code;
    if (S && S.en && S.en[key]) return t(key, { seconds: maxSeconds() });
    return e.message || e.code || '';
  }

  function renderResult(m) {
    if (m) lastResult = m;
    m = lastResult;
    if (!m || page !== 'artist') return;
    show($('result'), true);
    var st = $('status');
    st.dataset.state = m.status;
    var text;
    switch (m.status) {
      case 'uploaded': text = t('status_uploaded'); break;
      case 'queued': text = t('status_queued'); break;
      case 'processing': text = t('status_processing', { percent: (m.progress && Math.round(m.progress.percent)) || 0 }); break;
      case 'ready': text = t('status_ready'); break;
      case 'failed': text = t('status_failed', { reason: failReason(m.error) }); break;
      case 'revoked': text = t('status_revoked'); break;
      default: text = m.status;
    }
    st.textContent = text;
    var media = $('result-media'), img = $('poster'), vid = $('crop');
    // A video's poster is published before the rest: it is shown while the crops are made. Each answer
    // links it anew; while processing the first link stays, so that the picture does not load again.
    var early = m.status === 'processing' && !!m.poster_url;
    if ((m.status === 'ready' && (m.poster_url || m.crop_url)) || early) {
      show(media, true);
      // A photo's 9:16 crop is a picture: it is shown as the poster is. A video's plays, muted, looping.
      var picture = m.kind === 'image' ? (m.crop_url || m.poster_url) : m.poster_url;
      if (early && img.dataset.src) picture = img.dataset.src;
      if (picture && img.dataset.src !== picture) { img.dataset.src = picture; img.src = picture; }
      show($('poster-fig'), !!picture);
      var clip = m.kind === 'image' ? '' : m.crop_url;
      if (clip && vid.dataset.src !== clip) {
        vid.dataset.src = clip;
        if (m.poster_url) vid.poster = m.poster_url;
        vid.src = clip;
        var p = vid.play();
        if (p && p.catch) p.catch(function () {});
      }
      show($('crop-fig'), !!clip);
    } else {
      show(media, false);
    }
    var done = m.status === 'ready' || m.status === 'failed' || m.status === 'revoked';
    var left = inv ? inv.remaining > 0 : true;
    show($('another'), done && left);
    show($('no-more'), done && !left);
  }
  onLang.push(function () { renderResult(); });

  function resetCapture() {
    chosen = null;
    recorded = null;
    $('submit').disabled = false;
    $('consent').checked = false;
    show($('details'), false);
    show($('preview'), false);
    $('capture').dataset.phase = '';
    show($('capture'), true);
    show($('stage'), true);
    show($('rec-controls'), true);
    show($('stage-empty'), true);
    show($('live'), false);
    show($('switch-camera'), false);
    $('stage').classList.remove('on');
    $('record').disabled = !canRecord();
  }

  function another() {
    stopPolling();
    current = null;
    lastResult = null;
    delete $('result').dataset.uploadedAt;
    var vid = $('crop');
    vid.pause();
    vid.removeAttribute('src');
    delete vid.dataset.src;
    delete $('poster').dataset.src;
    show($('result'), false);
    $('title').value = '';
    resetCapture();
    $('capture').scrollIntoView({ block: 'start' });
  }

  // ---- start ----

  function wire() {
    $('lang').addEventListener('click', function () {
      var next = lang === 'en' ? 'it' : 'en';
      storeLang(next);
      applyLang(next);
      if (chosen) loadRelease();
      else release = null;
    });
    $('start-camera').addEventListener('click', function () { startStream().catch(function () {}); });
    $('mode-video').addEventListener('click', function () { setMode(false); });
    $('mode-audio').addEventListener('click', function () { setMode(true); });
    $('switch-camera').addEventListener('click', function () {
      facing = facing === 'user' ? 'environment' : 'user';
      startStream().catch(function () {});
    });
    $('record').addEventListener('click', record);
    $('stop').addEventListener('click', stopRecording);
    $('retake').addEventListener('click', retake);
    $('use-recording').addEventListener('click', function () { if (recorded) choose(recorded); });
    $('file').addEventListener('change', function () { picked($('file')); });
    $('native-camera').addEventListener('change', function () { picked($('native-camera')); });
    $('change').addEventListener('click', backToCapture);
    $('details').addEventListener('submit', submit);
    $('pause').addEventListener('click', pause);
    $('resume').addEventListener('click', resume);
    $('another').addEventListener('click', another);
    $('poster').addEventListener('load', posterShown);
    $('record').disabled = !canRecord();
    if (body.dataset.kind) return; // used up: nothing to record
    if (!canRecord()) cameraProblem(window.isSecureContext === false ? 'insecure' : 'no_recorder');
  }

  function startArtist() {
    wire();
    loadInvite().then(function () {
      return idbAll().catch(function () { return []; });
    }).then(function (pending) {
      var mine = (pending || []).filter(function (p) { return p.invite === (inv && inv.id); });
      if (mine.length) {
        mine.sort(function (a, b) { return a.created.localeCompare(b.created); });
        send(mine[0], true);
      }
    }).catch(function (err) {
      showError(err.code || 'network');
    });
  }

  function startClosed() {
    $('lang').addEventListener('click', function () { storeLang($('lang').getAttribute('hreflang')); });
  }

  fetch(body.dataset.strings).then(function (r) { return r.json(); }).then(function (strings) {
    S = strings;
    var want = preferredLang();
    if (page === 'closed') {
      // The server rendered this page; a language chosen before (and not in the link) asks it again.
      if (want !== lang && !/[?&]lang=/.test(location.search) && storedLang()) {
        location.replace('?lang=' + want);
        return;
      }
      startClosed();
      return;
    }
    if (want !== lang) applyLang(want);
    startArtist();
  });
})();
