package notify

import "errors"

// PermanentError marks a failure that retrying cannot fix: an invalid address
// or message, a 5xx SMTP reply, or a 4xx HTTP status other than 408 and 429.
type PermanentError struct {
	Err error
}

func (e *PermanentError) Error() string { return e.Err.Error() }

func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent wraps err so that IsPermanent reports true for it (and for any
// error wrapping it). Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &PermanentError{Err: err}
}

// IsPermanent reports whether err, or an error it wraps, is a PermanentError.
// Every other non-nil error is transient and worth retrying.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}
