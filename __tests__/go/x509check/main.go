// Command x509check reads a hashedrekord v0.0.1 entry (the proposal opk-attest POSTs to Rekor,
// or the body Rekor logs) and checks it the way Rekor's hashedrekord type does before it logs
// anything: the certificate is parsed with Go's crypto/x509 and the signature is verified over
// the logged SHA-256 digest with the certificate's key (ecdsa.VerifyASN1, as sigstore's ECDSA
// verifier does). It also checks what our verifier relies on: Rekor's canonical PEM of the
// certificate is byte for byte the PEM we sent, and the certificate is signed by its own key.
//
// Standard library only; no network. Usage: x509check ENTRY.json
// Exit 0 and a JSON report of what Go read from the certificate on stdout; exit 1 and one line
// "x509check: <stage>: <reason>" on stderr when Rekor (or our canonical-form check) would refuse.
package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"time"
)

// oidcIssuerV1 is Fulcio's OIDC issuer extension (v1): its value is the raw issuer string.
var oidcIssuerV1 = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 1}

type entry struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Spec       struct {
		Data struct {
			Hash struct {
				Algorithm string `json:"algorithm"`
				Value     string `json:"value"`
			} `json:"hash"`
		} `json:"data"`
		Signature struct {
			Content   string `json:"content"`
			PublicKey struct {
				Content string `json:"content"`
			} `json:"publicKey"`
		} `json:"signature"`
	} `json:"spec"`
}

// report is what Go's crypto/x509 read from the certificate.
type report struct {
	Version                     int      `json:"version"`
	Serial                      string   `json:"serial"`
	SignatureAlgorithm          string   `json:"signatureAlgorithm"`
	PublicKeyAlgorithm          string   `json:"publicKeyAlgorithm"`
	Curve                       string   `json:"curve"`
	SubjectCN                   string   `json:"subjectCN"`
	IssuerCN                    string   `json:"issuerCN"`
	DNSNames                    []string `json:"dnsNames"`
	NotBefore                   string   `json:"notBefore"`
	NotAfter                    string   `json:"notAfter"`
	KeyUsage                    int      `json:"keyUsage"`
	ExtKeyUsage                 []int    `json:"extKeyUsage"`
	BasicConstraintsValid       bool     `json:"basicConstraintsValid"`
	IsCA                        bool     `json:"isCA"`
	SubjectKeyID                string   `json:"subjectKeyId"`
	OIDCIssuer                  string   `json:"oidcIssuer"`
	UnhandledCriticalExtensions []string `json:"unhandledCriticalExtensions"`
}

type stageError struct {
	stage string
	err   error
}

func (e stageError) Error() string { return e.stage + ": " + e.err.Error() }

func fail(stage string, format string, args ...any) error {
	return stageError{stage, fmt.Errorf(format, args...)}
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: x509check ENTRY.json")
		os.Exit(2)
	}
	raw, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "x509check: read:", err)
		os.Exit(2)
	}
	r, err := check(raw)
	if err != nil {
		fmt.Fprintln(os.Stderr, "x509check: "+err.Error())
		os.Exit(1)
	}
	out, _ := json.Marshal(r)
	fmt.Println(string(out))
}

func check(raw []byte) (*report, error) {
	var e entry
	if err := json.Unmarshal(raw, &e); err != nil {
		return nil, fail("entry", "not JSON: %v", err)
	}
	if e.Kind != "hashedrekord" || e.APIVersion != "0.0.1" {
		return nil, fail("entry", "kind/apiVersion %q/%q is not hashedrekord/0.0.1", e.Kind, e.APIVersion)
	}
	// Rekor decodes both with base64.StdEncoding (pkg/types/hashedrekord/v0.0.1 DecodeEntry).
	sig, err := base64.StdEncoding.DecodeString(e.Spec.Signature.Content)
	if err != nil || len(sig) == 0 {
		return nil, fail("signature", "spec.signature.content is not non-empty base64: %v", err)
	}
	keyPem, err := base64.StdEncoding.DecodeString(e.Spec.Signature.PublicKey.Content)
	if err != nil || len(keyPem) == 0 {
		return nil, fail("publicKey", "spec.signature.publicKey.content is not non-empty base64: %v", err)
	}
	cert, err := parseCertificate(keyPem)
	if err != nil {
		return nil, err
	}
	digest, err := sha256Digest(e.Spec.Data.Hash.Algorithm, e.Spec.Data.Hash.Value)
	if err != nil {
		return nil, err
	}
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		return nil, fail("publicKey", "certificate key is %T, not ECDSA P-256", cert.PublicKey)
	}
	if !ecdsa.VerifyASN1(pub, digest, sig) {
		return nil, fail("verify", "invalid signature when validating ASN.1 encoded signature over the digest")
	}
	if err := cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature); err != nil {
		return nil, fail("self-signature", "the certificate is not signed by its own key: %v", err)
	}
	return describe(cert), nil
}

// parseCertificate is Rekor's pki/x509 NewPublicKey for one PEM certificate, plus the check that
// Rekor's canonical value (cryptoutils.MarshalCertificateToPEM: pem.Encode of the DER) is the input.
func parseCertificate(keyPem []byte) (*x509.Certificate, error) {
	block, rest := pem.Decode(keyPem)
	if block == nil {
		return nil, fail("pem", "failure decoding PEM")
	}
	if len(rest) > 0 {
		return nil, fail("pem", "%d bytes after the first PEM block (Rekor would read a chain)", len(rest))
	}
	if block.Type != "CERTIFICATE" {
		return nil, fail("pem", "cannot handle type %v", block.Type)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fail("x509", "%v", err)
	}
	if canonical := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}); !bytes.Equal(canonical, keyPem) {
		return nil, fail("canonical", "Rekor would log a different PEM than the one sent")
	}
	return cert, nil
}

// sha256Digest reads spec.data.hash as Rekor's default (SHA-256) branch does.
func sha256Digest(algorithm, value string) ([]byte, error) {
	if algorithm != "sha256" {
		return nil, fail("hash", "algorithm %q is not sha256", algorithm)
	}
	if len(value) != 64 {
		return nil, fail("hash", "value has %d characters, not 64", len(value))
	}
	d, err := hex.DecodeString(value)
	if err != nil {
		return nil, fail("hash", "%v", err)
	}
	return d, nil
}

func describe(c *x509.Certificate) *report {
	r := &report{
		Version:                     c.Version,
		Serial:                      c.SerialNumber.String(),
		SignatureAlgorithm:          c.SignatureAlgorithm.String(),
		PublicKeyAlgorithm:          c.PublicKeyAlgorithm.String(),
		Curve:                       c.PublicKey.(*ecdsa.PublicKey).Curve.Params().Name,
		SubjectCN:                   c.Subject.CommonName,
		IssuerCN:                    c.Issuer.CommonName,
		DNSNames:                    c.DNSNames,
		NotBefore:                   c.NotBefore.UTC().Format(time.RFC3339),
		NotAfter:                    c.NotAfter.UTC().Format(time.RFC3339),
		KeyUsage:                    int(c.KeyUsage),
		ExtKeyUsage:                 []int{},
		BasicConstraintsValid:       c.BasicConstraintsValid,
		IsCA:                        c.IsCA,
		SubjectKeyID:                base64.StdEncoding.EncodeToString(c.SubjectKeyId),
		UnhandledCriticalExtensions: []string{},
	}
	for _, u := range c.ExtKeyUsage {
		r.ExtKeyUsage = append(r.ExtKeyUsage, int(u))
	}
	for _, oid := range c.UnhandledCriticalExtensions {
		r.UnhandledCriticalExtensions = append(r.UnhandledCriticalExtensions, oid.String())
	}
	for _, ext := range c.Extensions {
		if ext.Id.Equal(oidcIssuerV1) {
			r.OIDCIssuer = string(ext.Value)
		}
	}
	return r
}

