// Package graphiql serves the GraphiQL page and every asset it loads from
// the binary, so it works with no internet: the production bundles of
// React, ReactDOM and GraphiQL (built by build.sh from the versions pinned
// in package-lock.json, committed in assets/), the page and its start-up
// script. A Content-Security-Policy lets the page load and call nothing
// but its own origin.
package graphiql

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed index.html app.js page.css assets/*.js assets/*.css assets/THIRD_PARTY_LICENSES.txt
var files embed.FS

// AssetsPath is where the page's scripts and styles are served.
const AssetsPath = "/graphiql"

// ContentSecurityPolicy is sent with the page and its assets: scripts,
// styles, requests and everything else from the page's own origin only
// (images and fonts also inline as data: URIs, as GraphiQL's stylesheet
// has them), no plugins, no framing.
const ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; font-src 'self' data:; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

var page = template.Must(template.ParseFS(files, "index.html"))

// asset is one embedded file, ready to serve.
type asset struct {
	body        []byte
	contentType string
	etag        string
}

// Handler returns the handler of the GraphiQL page (at "/", answering
// GET and HEAD) and of its assets (under AssetsPath), whose page sends
// its requests to endpoint. An unknown asset is 404.
func Handler(title, endpoint string) http.Handler {
	var html bytes.Buffer
	if err := page.Execute(&html, map[string]string{"Title": title, "Endpoint": endpoint, "Assets": AssetsPath}); err != nil {
		panic("graphiql: " + err.Error()) // the template and its data are fixed: a bug
	}
	assets := map[string]asset{"/": newAsset(html.Bytes(), "text/html; charset=utf-8")}
	err := fs.WalkDir(files, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || name == "index.html" {
			return err
		}
		body, err := files.ReadFile(name)
		if err != nil {
			return err
		}
		ct := mime.TypeByExtension(path.Ext(name))
		if ct == "" {
			ct = "text/plain; charset=utf-8"
		}
		assets[AssetsPath+"/"+path.Base(name)] = newAsset(body, ct)
		return nil
	})
	if err != nil {
		panic("graphiql: " + err.Error())
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := assets[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Type", a.contentType)
		h.Set("ETag", a.etag)
		h.Set("Cache-Control", "no-cache") // revalidated by ETag: a new build is seen at once
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
	})
}

func newAsset(body []byte, contentType string) asset {
	sum := sha256.Sum256(body)
	if strings.HasPrefix(contentType, "text/javascript") {
		contentType = "text/javascript; charset=utf-8"
	}
	return asset{body: body, contentType: contentType, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
}
