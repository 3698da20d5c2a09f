package source

import (
	"context"
	"errors"
	"net"
	"net/url"
	"strings"
	"syscall"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/kubectl-vd/kubectl-vd/pkg/kube"
)

// describe turns a client-go error into one readable line.
func describe(err error) string {
	if err == nil {
		return ""
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		host := ue.URL
		if u, perr := url.Parse(ue.URL); perr == nil {
			host = u.Scheme + "://" + u.Host
		}
		switch {
		case errors.Is(err, syscall.ECONNREFUSED):
			return "cannot reach " + host + ": connection refused"
		case ue.Timeout() || errors.Is(err, context.DeadlineExceeded):
			return "cannot reach " + host + ": timed out"
		}
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) {
			return "cannot reach " + host + ": " + dnsErr.Error()
		}
		return "cannot reach " + host + ": " + kube.OneLine(innermost(ue.Err).Error())
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timed out"
	}
	if apierrors.IsUnauthorized(err) {
		return "unauthorized: the credentials of this context were refused"
	}
	msg := kube.OneLine(err.Error())
	if strings.Contains(msg, "Client.Timeout exceeded") || strings.Contains(msg, "i/o timeout") {
		return "timed out"
	}
	return msg
}

func innermost(err error) error {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err
		}
		err = u
	}
}

// isConnectionError reports errors that mean the server itself is not
// answering (as opposed to an answer that refuses one request).
func isConnectionError(err error) bool {
	if err == nil {
		return false
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return true
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, syscall.ECONNREFUSED) {
		return true
	}
	if apierrors.IsUnauthorized(err) || apierrors.IsTimeout(err) || apierrors.IsServerTimeout(err) {
		return true
	}
	return false
}

// Describe is describe for the packages that print per-context errors.
func Describe(err error) string { return describe(err) }
