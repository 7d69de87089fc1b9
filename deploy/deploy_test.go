// Package deploy holds no code: its test checks that the deployment files
// load, so that a typo fails `make unit` rather than a deployment.
package deploy

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/docker-scan/docker-scan/compose"
)

func TestComposeFileLoads(t *testing.T) {
	p, err := compose.Load(context.Background(), compose.LoadOptions{
		Files:    []string{"compose.yaml"},
		Profiles: []string{"client"},
		Env:      []string{"DOCKER_SCAN_TOKEN=s3cret"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"scan-server", "redis", "client"} {
		if _, ok := p.Services[name]; !ok {
			t.Fatalf("no service %s", name)
		}
	}
	srv := p.Services["scan-server"]
	if srv.Deploy == nil || srv.Deploy.Replicas == nil || *srv.Deploy.Replicas != 2 {
		t.Errorf("scan-server replicas: %+v", srv.Deploy)
	}
	if len(srv.Command) == 0 || srv.Command[0] != "server" || !slices.Contains(srv.Command, "--cache-backend=redis://redis:6379") {
		t.Errorf("scan-server command %v", srv.Command)
	}
	if srv.HealthCheck == nil || !slices.Equal(srv.HealthCheck.Test, []string{"CMD", "/docker-scan", "server", "healthcheck"}) {
		t.Errorf("scan-server healthcheck %+v", srv.HealthCheck)
	}
	if v := srv.Environment["DOCKER_SCAN_TOKEN"]; v == nil || *v != "s3cret" {
		t.Errorf("scan-server token %v", v)
	}
	client := p.Services["client"]
	if !slices.Contains(client.Entrypoint, "http://scan-server:4954") {
		t.Errorf("the client does not scan through the servers: %v", client.Entrypoint)
	}

	// Without a token the file refuses to start rather than serve anyone.
	_, err = compose.Load(context.Background(), compose.LoadOptions{Files: []string{"compose.yaml"}, Env: []string{}})
	if err == nil || !strings.Contains(err.Error(), "DOCKER_SCAN_TOKEN") {
		t.Errorf("loading without DOCKER_SCAN_TOKEN: %v", err)
	}
}

// k8sObject is what the test reads of each manifest document.
type k8sObject struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Spec struct {
		Replicas *int `yaml:"replicas"`
		Template struct {
			Spec struct {
				Containers []struct {
					Args           []string `yaml:"args"`
					ReadinessProbe *probe   `yaml:"readinessProbe"`
					LivenessProbe  *probe   `yaml:"livenessProbe"`
					Env            []k8sEnv `yaml:"env"`
				} `yaml:"containers"`
				Volumes []k8sVolume `yaml:"volumes"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

type k8sEnv struct {
	Name      string `yaml:"name"`
	ValueFrom *struct {
		SecretKeyRef *struct {
			Name string `yaml:"name"`
			Key  string `yaml:"key"`
		} `yaml:"secretKeyRef"`
	} `yaml:"valueFrom"`
}

type k8sVolume struct {
	Name     string    `yaml:"name"`
	EmptyDir *struct{} `yaml:"emptyDir"`
}

type probe struct {
	HTTPGet *struct {
		Path string `yaml:"path"`
	} `yaml:"httpGet"`
}

func TestKubernetesManifestParses(t *testing.T) {
	raw, err := os.ReadFile("kubernetes/scan-server.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	objects := map[string]k8sObject{}
	for {
		var o k8sObject
		err := dec.Decode(&o)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if o.APIVersion == "" || o.Kind == "" || o.Metadata.Name == "" {
			t.Fatalf("a document without apiVersion, kind or name: %+v", o)
		}
		objects[o.Kind+"/"+o.Metadata.Name] = o
	}
	for _, want := range []string{"Deployment/docker-scan-server", "Service/docker-scan-server", "Deployment/docker-scan-redis", "Service/docker-scan-redis"} {
		if _, ok := objects[want]; !ok {
			t.Fatalf("no %s in the manifest", want)
		}
	}
	d := objects["Deployment/docker-scan-server"]
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 2 {
		t.Errorf("replicas %v", d.Spec.Replicas)
	}
	c := d.Spec.Template.Spec.Containers[0]
	if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet == nil || c.ReadinessProbe.HTTPGet.Path != "/healthz" ||
		c.LivenessProbe == nil || c.LivenessProbe.HTTPGet == nil || c.LivenessProbe.HTTPGet.Path != "/healthz" {
		t.Error("the server's readiness and liveness probes are not on /healthz")
	}
	if len(c.Args) == 0 || c.Args[0] != "server" || !slices.Contains(c.Args, "--cache-backend=redis://docker-scan-redis:6379") {
		t.Errorf("server args %v", c.Args)
	}
	tokenFromSecret := slices.ContainsFunc(c.Env, func(e k8sEnv) bool {
		return e.Name == "DOCKER_SCAN_TOKEN" && e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil
	})
	if !tokenFromSecret {
		t.Error("the token does not come from a Secret")
	}
	if !slices.ContainsFunc(d.Spec.Template.Spec.Volumes, func(v k8sVolume) bool {
		return v.EmptyDir != nil
	}) {
		t.Error("no emptyDir for the DB")
	}
}
