package localapi

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
)

// The web app: plain HTML, CSS and JavaScript, no build step, no CDN. It is
// small enough to send whole on every first load over a weak Wi-Fi link.
//
//go:embed web
var webFS embed.FS

// webLangs are the languages of the app, the first being the default. The
// page's <html lang> is set from Accept-Language; app.js reads it (and
// falls back to navigator.language) to pick its strings.
var webLangs = []string{"en", "ko"}

// webFile is one asset, kept as sent: plain and gzipped.
type webFile struct {
	ctype    string
	body, gz []byte
	etag     string
}

type webAssets struct {
	files map[string]*webFile // "app.js" → file
	index map[string]*webFile // language → index.html with its lang set
}

func newWebAssets() (*webAssets, error) {
	wa := &webAssets{files: map[string]*webFile{}, index: map[string]*webFile{}}
	err := fs.WalkDir(webFS, "web", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := webFS.ReadFile(p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "web/")
		if name == "index.html" {
			for _, lang := range webLangs {
				v := bytes.Replace(b, []byte(`<html lang="en">`), []byte(`<html lang="`+lang+`">`), 1)
				wa.index[lang] = newWebFile(name, v)
			}
			return nil
		}
		wa.files[name] = newWebFile(name, b)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("localapi: web assets: %w", err)
	}
	if len(wa.index) == 0 {
		return nil, fmt.Errorf("localapi: web assets: no index.html")
	}
	return wa, nil
}

func newWebFile(name string, body []byte) *webFile {
	f := &webFile{ctype: mime.TypeByExtension(path.Ext(name)), body: body}
	if path.Ext(name) == ".webmanifest" {
		f.ctype = "application/manifest+json" // not in every system's MIME table
	}
	if f.ctype == "" {
		f.ctype = "application/octet-stream"
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(body)
	zw.Close()
	if buf.Len() < len(body) {
		f.gz = buf.Bytes()
	}
	sum := sha256.Sum256(body)
	f.etag = `"` + hex.EncodeToString(sum[:8]) + `"`
	return f
}

// serve sends one asset, gzipped when the browser takes it, and a 304 when
// the browser already has it.
func (wa *webAssets) serve(w http.ResponseWriter, r *http.Request) {
	var f *webFile
	h := w.Header()
	if r.URL.Path == "/" {
		f = wa.index[pickLang(r.Header.Get("Accept-Language"))]
		h.Set("Vary", "Accept-Language, Accept-Encoding")
	} else {
		f = wa.files[strings.TrimPrefix(r.URL.Path, "/")]
		h.Set("Vary", "Accept-Encoding")
	}
	if f == nil {
		writeError(w, http.StatusNotFound, "not_found", "no such file "+r.URL.Path)
		return
	}
	body, etag := f.body, f.etag
	if f.gz != nil && acceptsGzip(r.Header.Get("Accept-Encoding")) {
		body, etag = f.gz, strings.TrimSuffix(f.etag, `"`)+`-gz"`
		h.Set("Content-Encoding", "gzip")
	}
	// Revalidated at every load: an updated agent serves its new app at
	// once, and an unchanged one costs a 304.
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", etag)
	h.Set("Content-Type", f.ctype)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

func acceptsGzip(ae string) bool {
	for _, part := range strings.Split(ae, ",") {
		name, params, _ := strings.Cut(part, ";")
		if strings.EqualFold(strings.TrimSpace(name), "gzip") && qValue(params) > 0 {
			return true
		}
	}
	return false
}

// pickLang chooses among webLangs from an Accept-Language header: the
// supported language with the highest q, the first listed on a tie.
func pickLang(header string) string {
	best, bestQ := webLangs[0], 0.0
	for _, part := range strings.Split(header, ",") {
		tag, params, _ := strings.Cut(part, ";")
		primary, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		q := qValue(params)
		for _, l := range webLangs {
			if primary == l && q > bestQ {
				best, bestQ = l, q
			}
		}
	}
	return best
}

// qValue reads "q=0.8" from a header element's parameters; 1 when absent.
func qValue(params string) float64 {
	for _, p := range strings.Split(params, ";") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(p), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				return f
			}
			return 0
		}
	}
	return 1
}
