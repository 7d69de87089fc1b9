{{- /*
  A self-contained HTML page of the findings, to archive with a CI run or
  open in a browser:

    docker scan image --format template --template @contrib/html.tpl -o scan.html IMAGE

  A summary of the findings per target, then one table per target.
  Every value is escaped; links are kept only when they are http(s).
*/ -}}
{{- $total := 0 -}}
{{- range . }}{{ $total = add $total (len .Vulnerabilities) (len .Secrets) (len .Misconfigurations) }}{{ end -}}
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="docker scan {{ escapeXML appVersion }}">
<title>docker scan report{{ if . }}: {{ escapeXML (index . 0).Target }}{{ end }}</title>
<style>
  :root { --crit: #7b1f1f; --high: #c0392b; --med: #d68910; --low: #2e86c1; --unk: #7f8c8d; }
  body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem; color: #1c2833; }
  h1 { font-size: 1.5rem; margin-bottom: .2rem; }
  h2 { font-size: 1.15rem; margin-top: 2.2rem; border-bottom: 1px solid #d5d8dc; padding-bottom: .3rem; }
  .meta { color: #566573; margin-top: 0; }
  table { border-collapse: collapse; width: 100%; margin-top: .6rem; }
  th, td { text-align: left; vertical-align: top; padding: .35rem .6rem; border-bottom: 1px solid #eaecee; }
  th { background: #f4f6f7; font-weight: 600; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; }
  code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .92em; }
  .sev { font-weight: 700; font-size: .8rem; letter-spacing: .03em; color: #fff; border-radius: 3px; padding: .05rem .4rem; }
  .sev-CRITICAL { background: var(--crit); } .sev-HIGH { background: var(--high); }
  .sev-MEDIUM { background: var(--med); } .sev-LOW { background: var(--low); } .sev-UNKNOWN { background: var(--unk); }
  .clean { color: #1e8449; }
</style>
</head>
<body>
<h1>docker scan report</h1>
<p class="meta">Generated {{ now | date "2006-01-02 15:04:05 MST" }} by docker scan {{ escapeXML appVersion }}: {{ len . }} target{{ if ne (len .) 1 }}s{{ end }}, {{ $total }} finding{{ if ne $total 1 }}s{{ end }}.</p>

<table class="summary">
<thead><tr><th>Target</th><th>Type</th><th>Vulnerabilities</th><th>Secrets</th><th>Misconfigurations</th></tr></thead>
<tbody>
{{- range . }}
<tr><td><a href="#{{ escapeXML .Target | sha256sum | trunc 12 }}">{{ escapeXML .Target }}</a></td><td>{{ escapeXML .Type }}</td><td class="num">{{ len .Vulnerabilities }}</td><td class="num">{{ len .Secrets }}</td><td class="num">{{ len .Misconfigurations }}</td></tr>
{{- end }}
</tbody>
</table>
{{- range . }}

<h2 id="{{ escapeXML .Target | sha256sum | trunc 12 }}">{{ escapeXML .Target }}{{ if .Type }} <small>({{ escapeXML .Type }})</small>{{ end }}</h2>
{{- if and (eq (len .Vulnerabilities) 0) (eq (len .Secrets) 0) (eq (len .Misconfigurations) 0) }}
<p class="clean">No findings.</p>
{{- end }}
{{- if .Vulnerabilities }}
<table class="vulnerabilities">
<thead><tr><th>Package</th><th>Vulnerability</th><th>Severity</th><th>Installed</th><th>Fixed</th><th>Title</th></tr></thead>
<tbody>
{{- range .Vulnerabilities }}
<tr class="vulnerability" data-id="{{ escapeXML .VulnerabilityID }}" data-package="{{ escapeXML .PkgName }}">
  <td><code>{{ escapeXML .PkgName }}</code>{{ if .PkgPath }}<br><small>{{ escapeXML .PkgPath }}</small>{{ end }}</td>
  <td>{{ if or (hasPrefix "https://" .PrimaryURL) (hasPrefix "http://" .PrimaryURL) }}<a href="{{ escapeXML .PrimaryURL }}">{{ escapeXML .VulnerabilityID }}</a>{{ else }}{{ escapeXML .VulnerabilityID }}{{ end }}</td>
  <td><span class="sev sev-{{ escapeXML .Severity }}">{{ escapeXML .Severity }}</span></td>
  <td><code>{{ escapeXML .InstalledVersion }}</code></td>
  <td><code>{{ escapeXML .FixedVersion }}</code></td>
  <td>{{ escapeXML .Title }}</td>
</tr>
{{- end }}
</tbody>
</table>
{{- end }}
{{- if .Secrets }}
<table class="secrets">
<thead><tr><th>Rule</th><th>Severity</th><th>Line</th><th>Match (masked)</th></tr></thead>
<tbody>
{{- range .Secrets }}
<tr class="secret" data-rule="{{ escapeXML .RuleID }}">
  <td>{{ escapeXML .Title }}<br><small><code>{{ escapeXML .RuleID }}</code></small></td>
  <td><span class="sev sev-{{ escapeXML .Severity }}">{{ escapeXML .Severity }}</span></td>
  <td class="num">{{ .StartLine }}</td>
  <td><code>{{ escapeXML .Match }}</code></td>
</tr>
{{- end }}
</tbody>
</table>
{{- end }}
{{- if .Misconfigurations }}
<table class="misconfigurations">
<thead><tr><th>Check</th><th>Severity</th><th>Service</th><th>Line</th><th>Message</th><th>Fix</th></tr></thead>
<tbody>
{{- range .Misconfigurations }}
<tr class="misconfiguration" data-id="{{ escapeXML .ID }}">
  <td><code>{{ escapeXML .ID }}</code> {{ escapeXML .Title }}</td>
  <td><span class="sev sev-{{ escapeXML .Severity }}">{{ escapeXML .Severity }}</span></td>
  <td>{{ escapeXML .Service }}</td>
  <td class="num">{{ if .StartLine }}{{ .StartLine }}{{ end }}</td>
  <td>{{ escapeXML .Message }}</td>
  <td>{{ escapeXML .Resolution }}</td>
</tr>
{{- end }}
</tbody>
</table>
{{- end }}
{{- end }}
</body>
</html>
