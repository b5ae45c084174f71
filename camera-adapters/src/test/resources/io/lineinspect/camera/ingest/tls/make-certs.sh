#!/bin/sh
# Regenerates the TLS test fixtures of TlsCameraTest (no network needed). Run from this directory:
#   sh make-certs.sh
# Writes, valid 20 years, EC P-256 keys as unencrypted PKCS#8 PEM (what ingest.tls.keyFile takes):
#   ca.pem                      test CA ("LineInspect Test CA"); its key is not kept
#   server.pem, server.key      the service: SAN IP:127.0.0.1, DNS:localhost; chain = server + CA
#   client.pem, client.key      a camera, CN=cam-1, signed by the test CA
#   client2.pem, client2.key    a camera, CN=cam-2, signed by the test CA
#   other-client.pem, .key      CN=cam-1 too, but signed by another CA (not trusted by the service)
set -eu
DAYS=7300
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }

ca() { # name subject
  key "$tmp/$1.key"
  openssl req -x509 -new -key "$tmp/$1.key" -subj "$2" -days $DAYS -sha256 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$tmp/$1.pem"
}

leaf() { # name subject ca extensions
  key "$1.key"
  openssl req -new -key "$1.key" -subj "$2" -out "$tmp/$1.csr"
  printf '%s\n' "$4" > "$tmp/$1.ext"
  openssl x509 -req -in "$tmp/$1.csr" -CA "$tmp/$3.pem" -CAkey "$tmp/$3.key" -CAcreateserial \
    -days $DAYS -sha256 -extfile "$tmp/$1.ext" -out "$tmp/$1.crt"
  cat "$tmp/$1.crt" "$tmp/$3.pem" > "$1.pem"
}

ca ca "/CN=LineInspect Test CA"
ca other-ca "/CN=Someone Else CA"
cp "$tmp/ca.pem" ca.pem
SERVER="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost"
CLIENT="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"
leaf server "/CN=localhost" ca "$SERVER"
leaf client "/O=Test Line/CN=cam-1" ca "$CLIENT"
leaf client2 "/O=Test Line/CN=cam-2" ca "$CLIENT"
leaf other-client "/O=Test Line/CN=cam-1" other-ca "$CLIENT"
chmod 644 ./*.key
