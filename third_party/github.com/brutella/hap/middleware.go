package hap

import (
	"net/http"
	"time"

	"github.com/brutella/hap/log"
)

// setHeader sets a response header before the handler runs (as chi's
// middleware.SetHeader did).
func setHeader(key, value string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set(key, value)
			next.ServeHTTP(w, r)
		})
	}
}

// logRequests logs each request to the debug logger once served, in place
// of chi's middleware.RequestLogger: chi's middleware package links expvar
// and net/http/pprof, whose package initialisation ran at every start of
// the program that embeds this module, HomeKit configured or not, and
// pprof's registers its handlers on http.DefaultServeMux.
func logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		next.ServeHTTP(w, r)
		log.Debug.Printf("%s %s from %s in %s", r.Method, r.URL.Path, r.RemoteAddr, time.Since(start))
	})
}
