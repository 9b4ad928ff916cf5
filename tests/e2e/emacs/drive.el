;;; drive.el --- batch Emacs + eglot drives the GradGuard server  -*- lexical-binding: t -*-
;;
;; diagnostics -> hover -> preferred quick fix for GG101 -> save -> the finding is gone.
;; Tested with Debian 12 emacs-nox 28.2 + elpa-eglot 1.9 (`eglot--*' are eglot 1.9 internals).
;; Env: GRADGUARD_PYTHON (interpreter with gradguard installed), OUT_DIR (JSON results).
;; Run with `emacs --batch -q' (not -Q: Debian's elpa-eglot is activated from site-lisp).
;; Exit code: 0 success, 1 Lisp error, 2.. the failing step.

(require 'eglot)
(require 'json)
(require 'python)

(defvar drive-timeout (string-to-number (or (getenv "GRADGUARD_TIMEOUT_S") "60")))
(defvar drive-out (getenv "OUT_DIR"))
(defvar drive-published nil "Raw publishDiagnostics params, newest first.")

(defun drive-log (fmt &rest args)
  (princ (concat "[emacs-gradguard] " (apply #'format fmt args) "\n") #'external-debugging-output))

(defun drive-fail (code fmt &rest args)
  (drive-log "FAIL(%d): %s" code (apply #'format fmt args))
  (kill-emacs code))

(defun drive-write-json (name obj)
  (with-temp-file (expand-file-name name drive-out)
    (insert (json-serialize obj :false-object :json-false :null-object nil) "\n")))

(defun drive-wait (pred)
  "Pump process output until PRED is non-nil or the timeout passes."
  (let ((deadline (+ (float-time) drive-timeout)))
    (while (and (not (funcall pred)) (< (float-time) deadline))
      (accept-process-output nil 0.05))
    (funcall pred)))

(defun drive-find-code (diagnostics code)
  (seq-find (lambda (d) (equal (plist-get d :code) code)) diagnostics))

(defun drive-latest-has (code)
  (and drive-published (drive-find-code (plist-get (car drive-published) :diagnostics) code)))

(advice-add 'eglot-handle-notification :before
            (lambda (_server method &rest params)
              (when (eq method 'textDocument/publishDiagnostics)
                (push params drive-published))))

(setq eglot-server-programs
      `((python-mode . (,(getenv "GRADGUARD_PYTHON") "-I" "-m" "gradguard")))
      eglot-sync-connect t
      eglot-autoshutdown t
      eglot-events-buffer-size 0)

(defun drive-main ()
  (let ((file (car command-line-args-left)))
    (setq command-line-args-left nil)
    (find-file file)
    (unless (eq major-mode 'python-mode) (python-mode))
    ;; eglot-ensure waits for the command loop, which batch mode never runs
    (apply #'eglot (eglot--guess-contact))
    (let ((server (eglot--current-server-or-lose)))
      (unless (drive-wait (lambda () (drive-latest-has "GG101")))
        (drive-fail 3 "no GG101 published within %ss" drive-timeout))
      (let* ((published (car drive-published))
             (finding (drive-latest-has "GG101")))
        (flymake-start)
        (drive-wait (lambda () (flymake-diagnostics)))
        (drive-write-json "diagnostics.json"
                          (list :raw published
                                :flymake (vconcat
                                          (mapcar (lambda (fd)
                                                    (list :line (line-number-at-pos (flymake-diagnostic-beg fd))
                                                          :text (flymake-diagnostic-text fd)))
                                                  (flymake-diagnostics)))))
        (goto-char (eglot--lsp-position-to-point (plist-get (plist-get finding :range) :start)))
        (let ((hover (jsonrpc-request server :textDocument/hover (eglot--TextDocumentPositionParams))))
          (unless hover (drive-fail 4 "no hover"))
          (drive-write-json "hover.json" hover))
        (let* ((actions (jsonrpc-request
                         server :textDocument/codeAction
                         (list :textDocument (eglot--TextDocumentIdentifier)
                               :range (plist-get finding :range)
                               :context (list :diagnostics (vector finding) :only ["quickfix"]))))
               (preferred (seq-find (lambda (a) (eq (plist-get a :isPreferred) t)) actions))
               (before (length drive-published)))
          (unless preferred (drive-fail 5 "no preferred quick fix in %S" actions))
          (drive-write-json "code_actions.json" actions)
          ;; didChange is sent from an idle timer, which never fires in batch mode: flush it.
          (eglot--apply-workspace-edit (plist-get preferred :edit))
          (eglot--signal-textDocument/didChange)
          (save-buffer)
          (unless (drive-wait (lambda () (and (> (length drive-published) before)
                                              (not (drive-latest-has "GG101")))))
            (drive-fail 6 "GG101 still published after the fix"))
          (drive-write-json "diagnostics_after_fix.json" (car drive-published))))
      (eglot-shutdown server)
      (drive-log "OK")
      (kill-emacs 0))))

(condition-case err
    (drive-main)
  (error (drive-fail 1 "%S" err)))
