package hap

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/brutella/hap/accessory"
)

// Every HAP route answers its method with its group's content type (a
// pairing answer is TLV8, an accessory database HAP JSON); an unknown path
// is 404 and a known path with another method 405, as with chi's router.
// The routes are ServeMux patterns with a method: under the pre-1.22
// matching (GODEBUG httpmuxgo121=1, or a go.mod older than 1.22) every row
// fails.
func TestRouterContentTypes(t *testing.T) {
	a := accessory.New(accessory.Info{Name: "ABC"}, accessory.TypeOutlet)
	s, err := NewServer(NewMemStore(), a)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		method, path string
		status       int    // 0: any status but 404 and 405
		want         string // Content-Type
		allow        string // Allow, for 405
	}{
		{method: http.MethodPost, path: "/pair-setup", want: HTTPContentTypePairingTLV8},
		{method: http.MethodPost, path: "/pair-verify", want: HTTPContentTypePairingTLV8},
		{method: http.MethodPost, path: "/identify", want: HTTPContentTypePairingTLV8},
		{method: http.MethodPost, path: "/pairings", want: HTTPContentTypePairingTLV8},
		{method: http.MethodGet, path: "/accessories", want: HTTPContentTypeHAPJson},
		{method: http.MethodGet, path: "/characteristics?id=1.2", want: HTTPContentTypeHAPJson},
		{method: http.MethodPut, path: "/characteristics", want: HTTPContentTypeHAPJson},
		{method: http.MethodPut, path: "/prepare", want: HTTPContentTypeHAPJson},
		{method: http.MethodGet, path: "/pair-setup", status: http.StatusMethodNotAllowed, allow: "POST"},
		{method: http.MethodPost, path: "/accessories", status: http.StatusMethodNotAllowed, allow: "GET, HEAD"},
		{method: http.MethodDelete, path: "/characteristics", status: http.StatusMethodNotAllowed, allow: "GET, HEAD, PUT"},
		{method: http.MethodGet, path: "/debug/pprof/", status: http.StatusNotFound},
		{method: http.MethodPost, path: "/pair-setup/", status: http.StatusNotFound},
		{method: http.MethodGet, path: "/", status: http.StatusNotFound},
	} {
		w := httptest.NewRecorder()
		s.ss.Handler.ServeHTTP(w, httptest.NewRequest(tc.method, tc.path, nil))
		res := w.Result()
		switch {
		case tc.status == 0 && (res.StatusCode == http.StatusNotFound || res.StatusCode == http.StatusMethodNotAllowed):
			t.Errorf("%s %s: status %d, want the handler's", tc.method, tc.path, res.StatusCode)
		case tc.status != 0 && res.StatusCode != tc.status:
			t.Errorf("%s %s: status %d, want %d", tc.method, tc.path, res.StatusCode, tc.status)
		}
		if tc.want != "" {
			if got := res.Header.Get("Content-Type"); got != tc.want {
				t.Errorf("%s %s: Content-Type %q, want %q", tc.method, tc.path, got, tc.want)
			}
		}
		if got := res.Header.Get("Allow"); got != tc.allow {
			t.Errorf("%s %s: Allow %q, want %q", tc.method, tc.path, got, tc.allow)
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
