package hap

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/brutella/hap/accessory"
)

// The router's groups still set their content types through setHeader: a
// pairing answer is TLV8 and an accessory database HAP JSON.
func TestRouterContentTypes(t *testing.T) {
	a := accessory.New(accessory.Info{Name: "ABC"}, accessory.TypeOutlet)
	s, err := NewServer(NewMemStore(), a)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ method, path, want string }{
		{http.MethodPost, "/pair-verify", HTTPContentTypePairingTLV8},
		{http.MethodGet, "/accessories", HTTPContentTypeHAPJson},
	} {
		w := httptest.NewRecorder()
		s.ss.Handler.ServeHTTP(w, httptest.NewRequest(tc.method, tc.path, nil))
		if got := w.Result().Header.Get("Content-Type"); got != tc.want {
			t.Errorf("%s %s: Content-Type %q, want %q", tc.method, tc.path, got, tc.want)
		}
	}
}

// Nothing this module links registers net/http/pprof's handlers on
// http.DefaultServeMux (chi's middleware package did, through its
// profiler): a program that serves the default mux must not expose them.
func TestNoProfilerOnDefaultServeMux(t *testing.T) {
	_, pattern := http.DefaultServeMux.Handler(httptest.NewRequest(http.MethodGet, "/debug/pprof/", nil))
	if pattern != "" {
		t.Errorf("http.DefaultServeMux serves /debug/pprof/ (pattern %q)", pattern)
	}
}
