package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// Key bodies of each kind a cluster holds: none of them, in any form,
// reaches a bundle.
var plantedKeys = map[string]string{
	"ec":      "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIPlantedECkeyBodyQ29udGVudE5ldmVyQnVuZGxlZEVD\n-----END EC PRIVATE KEY-----\n",
	"pkcs8":   "-----BEGIN PRIVATE KEY-----\nMIGHAgEAPlantedPKCS8keyBodyTmV2ZXJCdW5kbGVkUEtDUzg4OA\n-----END PRIVATE KEY-----\n",
	"openssh": "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEPlantedOpenSSHkeyBodyTmV2ZXJCdW5k\n-----END OPENSSH PRIVATE KEY-----\n",
	"rsa":     "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAPlantedRSAkeyBodyTmV2ZXJCdW5kbGVkUlNB\n-----END RSA PRIVATE KEY-----\n",
	"twice":   "-----BEGIN PRIVATE KEY-----\nMIIEvPlantedTwiceEncodedKeyBodyTmV2ZXJCdW5kbGVkVHdp\n-----END PRIVATE KEY-----\n",
	"envfile": "-----BEGIN PRIVATE KEY-----\nMIIEvPlantedEnvFileKeyBodyTmV2ZXJCdW5kbGVkRW52RmlsZQ\n-----END PRIVATE KEY-----\n",
	"filter":  "-----BEGIN PRIVATE KEY-----\nMIIEvPlantedEnvoyFilterKeyBodyTmV2ZXJCdW5kbGVkRmx0cg\n-----END PRIVATE KEY-----\n",
	"tls":     "-----BEGIN PRIVATE KEY-----\nMIIEvPlantedTLSSecretKeyBodyTmV2ZXJCdW5kbGVkVExTU2Vj\n-----END PRIVATE KEY-----\n",
	"cm":      "-----BEGIN PRIVATE KEY-----\nMIIEvPlantedConfigMapKeyBodyTmV2ZXJCdW5kbGVkQ29uZmln\n-----END PRIVATE KEY-----\n",
}

func keyBody(pem string) string { return strings.Split(pem, "\n")[1] }

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func keysEverywhere() []byte {
	pemJSON := func(s string) string { j, _ := json.Marshal(s); return string(j) }
	return []byte(fmt.Sprintf(`apiVersion: v1
kind: Namespace
metadata:
  name: bundle-keys
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: keys
  namespace: bundle-keys
  labels:
    gloo.solo.io/parent_name: keys
    gloo.solo.io/parent_namespace: bundle-keys
    gloo.solo.io/parent_kind: VirtualDestination
    gloo.solo.io/parent_group: networking.gloo.solo.io
  annotations:
    example.com/ec: %[1]s
    example.com/pkcs8-block: |
%[2]s
    example.com/openssh-folded: >
%[3]s
    example.com/rsa-b64-wrapped: |
%[4]s
    example.com/twice: %[5]s
    example.com/env: "TLS_KEY=%[6]s\nOTHER=1"
spec:
  hosts:
  - keys.global
  location: MESH_INTERNAL
  resolution: STATIC
  ports:
  - number: 9080
    name: http
    protocol: HTTP
---
apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata:
  name: inline-key
  namespace: bundle-keys
  labels:
    gloo.solo.io/parent_name: keys
    gloo.solo.io/parent_namespace: bundle-keys
    gloo.solo.io/parent_kind: VirtualDestination
    gloo.solo.io/parent_group: networking.gloo.solo.io
spec:
  configPatches:
  - applyTo: CLUSTER
    patch:
      operation: MERGE
      value:
        transport_socket:
          name: envoy.transport_sockets.tls
          typed_config:
            "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
            common_tls_context:
              tls_certificates:
              - private_key:
                  inline_string: %[7]s
---
apiVersion: v1
kind: Secret
type: kubernetes.io/tls
metadata:
  name: tls
  namespace: bundle-keys
data:
  tls.crt: %[8]s
  tls.key: %[9]s
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cm
  namespace: bundle-keys
data:
  key.pem: %[10]s
`, pemJSON(plantedKeys["ec"]), indentLines(plantedKeys["pkcs8"], "      "), indentLines(plantedKeys["openssh"], "      "),
		indentLines(wrap76(b64(plantedKeys["rsa"])), "      "), b64(b64(plantedKeys["twice"])), b64(plantedKeys["envfile"]),
		pemJSON(plantedKeys["filter"]), b64("not a certificate"), b64(plantedKeys["tls"]), pemJSON(plantedKeys["cm"])))
}

func wrap76(s string) string {
	var lines []string
	for len(s) > 76 {
		lines = append(lines, s[:76])
		s = s[76:]
	}
	return strings.Join(append(lines, s), "\n")
}

func TestBundleScrubsKeysWhereverClustersHoldThem(t *testing.T) {
	if err := testEnv.ApplyYAML("cluster1", keysEverywhere()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, ref := range []string{"serviceentries.networking.istio.io/bundle-keys/keys", "envoyfilters.networking.istio.io/bundle-keys/inline-key", "secrets/bundle-keys/tls", "configmaps/bundle-keys/cm"} {
			if err := testEnv.Delete("cluster1", ref); err != nil {
				t.Errorf("cleaning up %s: %v", ref, err)
			}
		}
	})
	// The live find shows the keys: the test plants them.
	live, _, _ := runVD(t, "find", "keys", "-n", "bundle-keys", "--context", "cluster1", "-o", "yaml")
	if !strings.Contains(live, keyBody(plantedKeys["ec"])) {
		t.Fatalf("the planted keys are not live:\n%s", live)
	}
	file := filepath.Join(t.TempDir(), "keys.tar.gz")
	stdout, stderr, code := runVD(t, "bundle", "keys", "-n", "bundle-keys", "--context", "cluster1", "-o", file)
	if code != 0 || stderr != "" {
		t.Fatalf("bundle: exit %d, stderr %q, stdout %q", code, stderr, stdout)
	}
	entries := bundleEntries(t, file)
	for name, data := range entries {
		if bytes.Contains(data, []byte("PRIVATE KEY")) {
			t.Errorf("entry %s holds %q", name, "PRIVATE KEY")
		}
		for kind, pem := range plantedKeys {
			needles := []string{keyBody(pem)}
			for shift := 0; shift < 3; shift++ {
				enc := b64(strings.Repeat("x", shift) + keyBody(pem))
				needles = append(needles, enc[4:len(enc)-4])
				twice := b64(strings.Repeat("x", shift) + b64(pem))
				needles = append(needles, twice[8:len(twice)-8])
			}
			for _, n := range needles {
				if bytes.Contains(data, []byte(n)) {
					t.Errorf("entry %s holds the %s key (%q)", name, kind, n)
				}
			}
		}
	}
	objects := string(entries["contexts/1-cluster1/objects.yaml"])
	for _, want := range []string{"name: keys\n", "name: inline-key\n"} {
		if !strings.Contains(objects, want) {
			t.Errorf("the bundle holds no %q: the scan would prove nothing", want)
		}
	}
	if strings.Contains(objects, "kind: Secret") || strings.Contains(objects, "kind: ConfigMap") {
		t.Errorf("the bundle holds a Secret or ConfigMap")
	}
}
