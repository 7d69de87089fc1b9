{{- /*
  JUnit XML for CI test reports (Jenkins, GitLab, Azure DevOps, GitHub
  test reporters):

    docker scan image --format template --template @contrib/junit.tpl -o scan.xml IMAGE

  One <testsuite> per scanned target (the OS packages, a language's
  packages, a file with secrets, a compose file), one failing <testcase>
  per finding. A target without findings gets one passing test case, so
  that it shows up as scanned.
*/ -}}
{{- $tests := 0 -}}
{{- $failures := 0 -}}
{{- range . -}}
  {{- $n := add (len .Vulnerabilities) (len .Secrets) (len .Misconfigurations) -}}
  {{- $failures = add $failures $n -}}
  {{- if eq $n 0 }}{{ $tests = add $tests 1 }}{{ else }}{{ $tests = add $tests $n }}{{ end -}}
{{- end -}}
<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="docker scan" tests="{{ $tests }}" failures="{{ $failures }}" errors="0" time="0">
{{- range $i, $result := . }}
  {{- $n := add (len .Vulnerabilities) (len .Secrets) (len .Misconfigurations) }}
  <testsuite id="{{ $i }}" name="{{ escapeXML .Target }}" package="{{ escapeXML .Class }}" tests="{{ if eq $n 0 }}1{{ else }}{{ $n }}{{ end }}" failures="{{ $n }}" errors="0" skipped="0" time="0">
    <properties>
      <property name="class" value="{{ escapeXML .Class }}"/>
      {{- if .Type }}
      <property name="type" value="{{ escapeXML .Type }}"/>
      {{- end }}
    </properties>
    {{- range .Vulnerabilities }}
    <testcase classname="{{ escapeXML $result.Target }}: {{ escapeXML .PkgName }}@{{ escapeXML .InstalledVersion }}" name="[{{ escapeXML .Severity }}] {{ escapeXML .VulnerabilityID }} in {{ escapeXML .PkgName }}" time="0">
      <failure type="{{ escapeXML .Severity }}" message="{{ if .Title }}{{ escapeXML .Title }}{{ else }}{{ escapeXML .VulnerabilityID }}{{ end }}">
        {{- escapeXML .VulnerabilityID }} ({{ escapeXML .Severity }}) in {{ escapeXML .PkgName }} {{ escapeXML .InstalledVersion }}
        {{- if .PkgPath }}, {{ escapeXML .PkgPath }}{{ end }}
Fixed version: {{ if .FixedVersion }}{{ escapeXML .FixedVersion }}{{ else }}none yet{{ end }}
{{- if .PrimaryURL }}
More: {{ escapeXML .PrimaryURL }}
{{- end }}
{{- if .Description }}

{{ escapeXML .Description }}
{{- end }}</failure>
    </testcase>
    {{- end }}
    {{- range .Secrets }}
    <testcase classname="{{ escapeXML $result.Target }}" name="[{{ escapeXML .Severity }}] {{ escapeXML .Title }} (line {{ .StartLine }})" time="0">
      <failure type="{{ escapeXML .Severity }}" message="{{ escapeXML .Title }}">Rule {{ escapeXML .RuleID }} ({{ escapeXML .Category }}), line {{ .StartLine }}: {{ escapeXML .Match }}</failure>
    </testcase>
    {{- end }}
    {{- range .Misconfigurations }}
    <testcase classname="{{ escapeXML $result.Target }}{{ if .Service }}: service {{ escapeXML .Service }}{{ end }}" name="[{{ escapeXML .Severity }}] {{ escapeXML .ID }} {{ escapeXML .Title }}" time="0">
      <failure type="{{ escapeXML .Severity }}" message="{{ escapeXML .Message }}">
        {{- escapeXML .ID }}: {{ escapeXML .Message }}
        {{- if .StartLine }} (line {{ .StartLine }}){{ end }}
{{- if .Resolution }}
Fix: {{ escapeXML .Resolution }}
{{- end }}</failure>
    </testcase>
    {{- end }}
    {{- if eq $n 0 }}
    <testcase classname="{{ escapeXML .Target }}" name="no findings" time="0"/>
    {{- end }}
  </testsuite>
{{- end }}
</testsuites>
