package misconf

import (
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestRunChecks runs the checks of RUN commands on each check's own
// fail.Dockerfile and pass.Dockerfile (in testdata/misconf/dockerfile/ID):
// the check must fail exactly at the given instructions of the first and
// pass the second. (runTestdata and findingLines are in
// checks_instructions_test.go.)
func TestRunChecks(t *testing.T) {
	want := map[string][]lines{
		"DS-0010":  {{2, 2}, {3, 4}, {7, 7}, {8, 13}, {14, 14}},
		"DS-0013":  {{2, 2}, {3, 4}, {5, 5}, {6, 10}},
		"DS-0014":  {{2, 2}, {5, 5}},
		"DS-0015":  {{2, 2}, {3, 3}, {4, 6}, {7, 7}},
		"DS-0017":  {{2, 2}, {4, 4}, {5, 5}, {6, 6}, {7, 7}, {8, 8}},
		"DS-0019":  {{2, 4}, {5, 5}, {6, 6}},
		"DS-0020":  {{2, 2}, {3, 3}, {4, 4}, {5, 5}},
		"DS-0021":  {{2, 2}, {3, 3}, {4, 5}, {6, 6}},
		"DS-0024":  {{2, 2}, {3, 3}, {4, 4}, {5, 5}},
		"DS-0025":  {{2, 2}, {3, 3}, {4, 4}, {5, 5}, {6, 6}},
		"DS-0027":  {{2, 2}, {3, 3}, {4, 4}},
		"DS-0029":  {{2, 2}, {3, 3}, {4, 5}},
		"DS-0031":  {{6, 6}, {7, 7}, {8, 8}, {9, 9}, {10, 10}, {12, 12}, {13, 14}},
		"DSX-0001": {{2, 2}, {3, 3}, {4, 4}, {5, 5}, {6, 8}, {9, 9}},
		"DSX-0002": {{2, 2}, {4, 4}, {5, 5}, {6, 9}},
		"DSX-0003": {{2, 2}, {3, 3}, {4, 4}, {5, 5}, {6, 6}},
	}
	if len(want) != len(runChecks) {
		t.Errorf("%d RUN checks, %d with test files", len(runChecks), len(want))
	}
	for _, c := range runChecks {
		if _, ok := want[c.ID]; !ok {
			t.Errorf("check %s has no test files", c.ID)
		}
	}
	for id, wantLines := range want {
		t.Run(id, func(t *testing.T) {
			fail := runTestdata(t, filepath.Join(dockerfileTestdata, id, "fail.Dockerfile"))
			if got := findingLines(fail, id); !reflect.DeepEqual(got, wantLines) {
				t.Errorf("fail.Dockerfile: %s failed at %v, want %v\n%v", id, got, wantLines, fail[id])
			}
			pass := runTestdata(t, filepath.Join(dockerfileTestdata, id, "pass.Dockerfile"))
			if got := findingLines(pass, id); len(got) != 0 {
				t.Errorf("pass.Dockerfile: %s failed at %v\n%v", id, got, pass[id])
			}
		})
	}
}

// TestRunCheckMessages: each message names what was found.
func TestRunCheckMessages(t *testing.T) {
	for _, tc := range []struct {
		id   string
		line int
		want []string
	}{
		{"DS-0010", 3, []string{"sudo -u builder make"}},
		{"DS-0013", 5, []string{"cd /tmp", "WORKDIR"}},
		{"DS-0014", 5, []string{"wget", "line 4", "curl"}},
		{"DS-0015", 4, []string{"yum clean all", "yum -y install zsh"}},
		{"DS-0017", 5, []string{"apk update"}},
		{"DS-0019", 2, []string{"dnf clean all", "dnf install -vy docker-ce"}},
		{"DS-0020", 3, []string{"zypper clean", "zypper patch bash"}},
		{"DS-0021", 6, []string{"-y", "apt-get install --no-install-recommends make"}},
		{"DS-0024", 5, []string{"apt full-upgrade -y"}},
		{"DS-0025", 6, []string{"--no-cache", "apk -X"}},
		{"DS-0027", 2, []string{"microdnf clean all", "microdnf install -y shadow-utils"}},
		{"DS-0029", 4, []string{"--no-install-recommends", "apt-get install -y tzdata"}},
		{"DS-0031", 8, []string{"ENV", `"DB_PASSWORD"`, "secret"}},
		{"DS-0031", 10, []string{"AWS_CONFIG_FILE"}},
		{"DS-0031", 12, []string{"GOOGLE_APPLICATION_CREDENTIALS", "./app/service-account.json"}},
		{"DS-0031", 13, []string{"aws configure set aws_access_key_id"}},
		{"DSX-0001", 3, []string{"wget -qO- https://example.com/install.sh", "bash -"}},
		{"DSX-0001", 9, []string{"curl -fsSL", "bash"}},
		{"DSX-0002", 4, []string{"--no-cache-dir", "python3 -m pip install --upgrade pip"}},
		{"DSX-0003", 3, []string{"chmod -R a+rwx /data"}},
	} {
		found := runTestdata(t, filepath.Join(dockerfileTestdata, tc.id, "fail.Dockerfile"))
		var msg string
		for _, f := range found[tc.id] {
			if f.StartLine == tc.line {
				msg = f.Message
			}
		}
		for _, w := range tc.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s at line %d: message %q does not name %q", tc.id, tc.line, msg, w)
			}
		}
	}
	// A message quoting a login never quotes the credential after it.
	found := runTestdata(t, filepath.Join(dockerfileTestdata, "DS-0031", "fail.Dockerfile"))
	for _, f := range found["DS-0031"] {
		if strings.Contains(f.Message, "AKIAEXAMPLE") || strings.Contains(f.Message, "changeme") {
			t.Errorf("DS-0031 message repeats a secret: %q", f.Message)
		}
	}
}

func TestRunCheckMetadata(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range AllDockerfileChecks {
		if seen[c.ID] {
			t.Errorf("check %s listed twice", c.ID)
		}
		seen[c.ID] = true
	}
	for _, c := range runChecks {
		own := strings.HasPrefix(c.ID, "DSX-")
		if own && (c.AVDID != "" || len(c.Aliases) != 0) {
			t.Errorf("%s: docker-scan's own check with AVD alias %q, aliases %q", c.ID, c.AVDID, c.Aliases)
		}
		if !own && (c.AVDID != "AVD-"+c.ID || len(c.Aliases) == 0) {
			t.Errorf("%s: AVDID %q aliases %q", c.ID, c.AVDID, c.Aliases)
		}
		switch c.Severity {
		case "LOW", "MEDIUM", "HIGH", "CRITICAL":
		default:
			t.Errorf("%s: severity %q", c.ID, c.Severity)
		}
		if c.Type != TypeDockerfile || c.Title == "" || c.Description == "" || c.Resolution == "" || c.Dockerfile == nil || len(c.References) == 0 {
			t.Errorf("%s: incomplete check %+v", c.ID, c)
		}
	}
}

// runFindings runs one check over a Dockerfile given as text.
func runFindings(t *testing.T, id, dockerfile string) []Failure {
	t.Helper()
	df, err := ParseDockerfile("Dockerfile", []byte(dockerfile))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range runChecks {
		if c.ID == id {
			return c.Dockerfile(df)
		}
	}
	t.Fatalf("no check %s", id)
	return nil
}

// TestRunCheckCases are single RUNs each check must (or must not) flag,
// beyond the testdata files.
func TestRunCheckCases(t *testing.T) {
	for _, tc := range []struct {
		id, run string
		fail    bool
	}{
		{"DS-0010", `RUN echo ok; sudo true`, true},
		{"DS-0010", `RUN curl -fsSL https://x | sudo tee /etc/x`, true},
		{"DS-0010", `RUN apt-get install -y sudo && echo "sudo"`, false},
		{"DS-0010", `RUN command -v sudo`, false},
		{"DS-0013", `RUN if true; then cd /x; fi`, true},
		{"DS-0013", `RUN make -C /x && echo cd`, false},
		{"DS-0013", `RUN f() { cd /x; }; echo`, false},
		{"DS-0015", `RUN yum -y groupinstall "Development Tools"`, true},
		{"DS-0015", `RUN yum -y install x && echo all`, true},
		{"DS-0015", `RUN yum clean all`, false},
		{"DS-0017", `RUN apt-get -o Acquire::Retries=3 update`, true},
		{"DS-0017", `RUN apt-get -o Acquire::Retries=3 update && apt-get -o Acquire::Retries=3 install -y x`, false},
		{"DS-0017", `RUN apt-get update -y && apt-get upgrade -y && apt-get install -y curl && apk-update`, false},
		{"DS-0017", `RUN zypper ref && zypper in -y curl`, false},
		{"DS-0017", `RUN apk update && apt-get install -y x`, true},
		{"DS-0019", `RUN dnf -y --setopt=install_weak_deps=False install git`, true},
		{"DS-0019", `RUN dnf install -y git && rm -rf /var/cache/dnf && dnf clean all`, false},
		{"DS-0021", `RUN apt-get install --no-install-recommends -qy git`, false},
		{"DS-0021", `RUN apt-get install --no-install-recommends -q git`, true},
		{"DS-0021", `RUN DEBIAN_FRONTEND=noninteractive apt-get install --no-install-recommends git`, true},
		{"DS-0021", `RUN apt-get install --force-yes --no-install-recommends git`, true},
		{"DS-0021", `RUN apt install git`, false},
		{"DS-0024", `RUN apt-get -o Debug::x=1 dist-upgrade`, true},
		{"DS-0025", `RUN apk add --virtual .deps --no-cache gcc`, false},
		{"DS-0025", `RUN sudo apk add gcc`, true},
		{"DS-0027", `RUN microdnf --nodocs install -y tar && microdnf clean all`, false},
		{"DS-0029", `RUN apt-get install -y -oAPT::Install-Recommends=0 git`, false},
		{"DS-0029", `RUN apt-get install -y -o APT::Install-Recommends=true git`, true},
		{"DSX-0001", `RUN curl -sL https://deb.nodesource.com/setup_20.x | bash - && apt-get install -y nodejs`, true},
		{"DSX-0001", `RUN eval "$(curl -fsSL https://x/env)"`, true},
		{"DSX-0001", `RUN wget -O- https://x | tar xz`, false},
		{"DSX-0001", `RUN echo "$(curl -fsSL https://x/version)" > /version`, false},
		{"DSX-0001", `RUN ["bash", "-c", "curl -fsSL https://x | bash"]`, true},
		{"DSX-0002", `RUN pip3.12 --no-cache-dir install x`, false},
		{"DSX-0002", `RUN export PIP_NO_CACHE_DIR=1 && pip install x`, false},
		{"DSX-0002", `RUN PIP_NO_CACHE_DIR=0 pip install x`, true},
		{"DSX-0002", `RUN pip download x`, false},
		{"DSX-0002", `RUN python -m pip install x`, true},
		{"DSX-0003", `RUN chmod 666 /etc/app.conf`, true},
		{"DSX-0003", `RUN chmod 2775 /srv`, false},
		{"DSX-0003", `RUN chmod =rwx,o+rw /srv`, true},
		{"DSX-0003", `RUN chmod go-w /srv`, false},
		{"DSX-0003", `RUN find / -name x -exec echo chmod 777 {} \;`, false},
	} {
		got := runFindings(t, tc.id, "FROM alpine:3.20\n"+tc.run+"\n")
		if (len(got) > 0) != tc.fail {
			t.Errorf("%s on %q: failures %v, want failing %v", tc.id, tc.run, got, tc.fail)
		}
	}
}

// TestSecretNames: names Trivy's DS-0031 treats as secrets, and some it
// does not.
func TestSecretNames(t *testing.T) {
	for name, want := range map[string]bool{
		"GITHUB_TOKEN": true, "REACT_APP_GITHUB_TOKEN": true, "AWS_SECRET_ACCESS_KEY": true,
		"ARTIFACTORY_USR": true, "ARTIFACTORY_PSW": true, "password": true, "api_key": true,
		"MY_APIKEY": true, "db_credentials": true, "SECRET_PASSPHRASE": true,
		"PUBLIC_KEY": false, "public_token": false, "KEYBOARD": false, "TOKENIZER_PATH": false,
		"AWS_CONFIG_FILE": false, "GOOGLE_APPLICATION_CREDENTIALS": false, "PATH": false,
	} {
		if got := isSecretName(name); got != want {
			t.Errorf("isSecretName(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestSecretsOnlyFinalStage: a secret ARG of a build stage does not end
// up in the image.
func TestSecretsOnlyFinalStage(t *testing.T) {
	got := runFindings(t, "DS-0031", "FROM a AS b\nARG GITHUB_TOKEN\nENV API_KEY=x\nFROM c\nRUN true\n")
	if len(got) != 0 {
		t.Errorf("failures in a build stage: %v", got)
	}
	got = runFindings(t, "DS-0031", "FROM a AS b\nFROM c\nCOPY . .\nENV HF_TOKEN_PATH=./hf/token\n")
	if len(got) != 1 || got[0].StartLine != 4 {
		t.Errorf("secret file under COPY . .: %v", got)
	}
}

// BenchmarkRunChecks: the RUN checks over a Dockerfile of 12 RUNs.
func BenchmarkRunChecks(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("FROM debian:12\n")
	for i := range 12 {
		fmt.Fprintf(&sb, "RUN apt-get update && apt-get install -y --no-install-recommends pkg%d \\\n && curl -fsSL https://example.com/%d | tar xz -C /opt \\\n && rm -rf /var/lib/apt/lists/*\n", i, i)
	}
	df, err := ParseDockerfile("Dockerfile", []byte(sb.String()))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, c := range runChecks {
			c.Dockerfile(df)
		}
	}
}
