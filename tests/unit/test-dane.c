/*
 * test-dane.c: unit tests of src/dane.c: OPENPGPKEY owner names (RFC
 * 7929), TLSA rdata (RFC 6698, RFC 7672), the walk of a DER certificate
 * down to its SubjectPublicKeyInfo, TLSA matching, and PEM to DER.
 *
 * The certificates below were made once with
 *
 *   openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
 *       -subj /CN=mx.example.org -days 3650 -keyout /dev/null -outform DER
 *
 * (and -newkey rsa:2048 for the RSA one; the v1 one with "openssl req
 * -new" and "openssl x509 -req -signkey", which OpenSSL 3 writes as
 * version 1 when there are no extensions).  The SPKIs are from
 * "openssl x509 -inform DER -pubkey -noout | openssl pkey -pubin
 * -outform DER", the digests from sha256sum and sha512sum of those files:
 * the expected values come from OpenSSL, not from the code under test.
 */
#include <config.h>

#include <gcrypt.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dane.h"
#include "unit.h"

static const unsigned char ec_der[395] = {
	0x30, 0x82, 0x01, 0x87, 0x30, 0x82, 0x01, 0x2d, 0xa0, 0x03, 0x02, 0x01,
	0x02, 0x02, 0x14, 0x05, 0xb5, 0x00, 0x00, 0x1e, 0xcd, 0xcc, 0x20, 0x17,
	0x3f, 0x33, 0x91, 0x5d, 0xbc, 0xc4, 0xf0, 0x61, 0xd7, 0xa2, 0x96, 0x30,
	0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02, 0x30,
	0x19, 0x31, 0x17, 0x30, 0x15, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x0e,
	0x6d, 0x78, 0x2e, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x6f,
	0x72, 0x67, 0x30, 0x1e, 0x17, 0x0d, 0x32, 0x36, 0x31, 0x31, 0x32, 0x39,
	0x30, 0x30, 0x33, 0x33, 0x30, 0x33, 0x5a, 0x17, 0x0d, 0x33, 0x36, 0x31,
	0x31, 0x32, 0x36, 0x30, 0x30, 0x33, 0x33, 0x30, 0x33, 0x5a, 0x30, 0x19,
	0x31, 0x17, 0x30, 0x15, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x0e, 0x6d,
	0x78, 0x2e, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x6f, 0x72,
	0x67, 0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d,
	0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07,
	0x03, 0x42, 0x00, 0x04, 0x54, 0x7c, 0xa5, 0x4b, 0xd2, 0x2f, 0x5c, 0x97,
	0x6f, 0xc8, 0xd4, 0xe6, 0x04, 0x96, 0xf8, 0x08, 0x2e, 0x32, 0xd4, 0x3f,
	0x5a, 0x56, 0xbc, 0x9d, 0x4c, 0x19, 0x43, 0xcd, 0xe4, 0x40, 0x50, 0xcf,
	0x83, 0xf2, 0x2f, 0xc6, 0xd7, 0x45, 0x07, 0x57, 0xee, 0x18, 0x1f, 0xf2,
	0x95, 0xbc, 0xef, 0x96, 0x66, 0x74, 0xfe, 0x29, 0xf3, 0x2b, 0x04, 0xb0,
	0x92, 0x3e, 0xe0, 0x73, 0xf7, 0xab, 0x0a, 0x3e, 0xa3, 0x53, 0x30, 0x51,
	0x30, 0x1d, 0x06, 0x03, 0x55, 0x1d, 0x0e, 0x04, 0x16, 0x04, 0x14, 0x00,
	0x1e, 0x5f, 0x08, 0x35, 0x79, 0xab, 0x7f, 0xd4, 0x87, 0x3f, 0x85, 0x57,
	0x1d, 0x44, 0xf5, 0x0c, 0x2a, 0xc3, 0x6c, 0x30, 0x1f, 0x06, 0x03, 0x55,
	0x1d, 0x23, 0x04, 0x18, 0x30, 0x16, 0x80, 0x14, 0x00, 0x1e, 0x5f, 0x08,
	0x35, 0x79, 0xab, 0x7f, 0xd4, 0x87, 0x3f, 0x85, 0x57, 0x1d, 0x44, 0xf5,
	0x0c, 0x2a, 0xc3, 0x6c, 0x30, 0x0f, 0x06, 0x03, 0x55, 0x1d, 0x13, 0x01,
	0x01, 0xff, 0x04, 0x05, 0x30, 0x03, 0x01, 0x01, 0xff, 0x30, 0x0a, 0x06,
	0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02, 0x03, 0x48, 0x00,
	0x30, 0x45, 0x02, 0x21, 0x00, 0xfb, 0x7a, 0x60, 0x57, 0x49, 0xc0, 0x89,
	0xfe, 0x13, 0x7c, 0x72, 0x00, 0x9c, 0xfd, 0x67, 0xbb, 0xd3, 0x1a, 0xd1,
	0xbe, 0x2f, 0x8e, 0xf8, 0x82, 0x7c, 0x3f, 0x04, 0x17, 0x6d, 0xb6, 0x81,
	0x0e, 0x02, 0x20, 0x77, 0x8a, 0x36, 0x2b, 0x25, 0xe5, 0xe1, 0x2f, 0x97,
	0xa4, 0xb3, 0xe4, 0x7f, 0xc9, 0x52, 0x6d, 0x54, 0x4e, 0xfb, 0x9e, 0x68,
	0xa0, 0x22, 0xb9, 0x6c, 0xea, 0x10, 0x5c, 0xbc, 0x04, 0x1a, 0xdd,
};

static const unsigned char ec_spki[91] = {
	0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02,
	0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03,
	0x42, 0x00, 0x04, 0x54, 0x7c, 0xa5, 0x4b, 0xd2, 0x2f, 0x5c, 0x97, 0x6f,
	0xc8, 0xd4, 0xe6, 0x04, 0x96, 0xf8, 0x08, 0x2e, 0x32, 0xd4, 0x3f, 0x5a,
	0x56, 0xbc, 0x9d, 0x4c, 0x19, 0x43, 0xcd, 0xe4, 0x40, 0x50, 0xcf, 0x83,
	0xf2, 0x2f, 0xc6, 0xd7, 0x45, 0x07, 0x57, 0xee, 0x18, 0x1f, 0xf2, 0x95,
	0xbc, 0xef, 0x96, 0x66, 0x74, 0xfe, 0x29, 0xf3, 0x2b, 0x04, 0xb0, 0x92,
	0x3e, 0xe0, 0x73, 0xf7, 0xab, 0x0a, 0x3e,
};

static const unsigned char rsa_der[791] = {
	0x30, 0x82, 0x03, 0x13, 0x30, 0x82, 0x01, 0xfb, 0xa0, 0x03, 0x02, 0x01,
	0x02, 0x02, 0x14, 0x74, 0x7c, 0xf4, 0x65, 0xbd, 0xfa, 0x25, 0xd5, 0xd2,
	0xbc, 0x26, 0x1e, 0x31, 0xa9, 0xf2, 0x60, 0xe8, 0x40, 0x52, 0x64, 0x30,
	0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b,
	0x05, 0x00, 0x30, 0x19, 0x31, 0x17, 0x30, 0x15, 0x06, 0x03, 0x55, 0x04,
	0x03, 0x0c, 0x0e, 0x6d, 0x78, 0x2e, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c,
	0x65, 0x2e, 0x6f, 0x72, 0x67, 0x30, 0x1e, 0x17, 0x0d, 0x32, 0x36, 0x31,
	0x31, 0x32, 0x39, 0x30, 0x30, 0x33, 0x33, 0x30, 0x33, 0x5a, 0x17, 0x0d,
	0x33, 0x36, 0x31, 0x31, 0x32, 0x36, 0x30, 0x30, 0x33, 0x33, 0x30, 0x33,
	0x5a, 0x30, 0x19, 0x31, 0x17, 0x30, 0x15, 0x06, 0x03, 0x55, 0x04, 0x03,
	0x0c, 0x0e, 0x6d, 0x78, 0x2e, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65,
	0x2e, 0x6f, 0x72, 0x67, 0x30, 0x82, 0x01, 0x22, 0x30, 0x0d, 0x06, 0x09,
	0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00, 0x03,
	0x82, 0x01, 0x0f, 0x00, 0x30, 0x82, 0x01, 0x0a, 0x02, 0x82, 0x01, 0x01,
	0x00, 0x88, 0x39, 0xec, 0xe0, 0x49, 0x39, 0x59, 0xef, 0xdb, 0x3c, 0x57,
	0x58, 0x2f, 0xb9, 0x5b, 0xe1, 0x96, 0xa2, 0xb7, 0xb0, 0x1c, 0x67, 0x4e,
	0x6b, 0x53, 0x1c, 0x0e, 0xfa, 0x76, 0x35, 0x83, 0x1a, 0xb0, 0x3a, 0xc6,
	0x2b, 0x21, 0xa7, 0x0a, 0xf1, 0xa1, 0x1a, 0xd6, 0xf5, 0xf8, 0xbe, 0xb3,
	0xeb, 0x90, 0x13, 0x01, 0xc4, 0xdb, 0x14, 0x37, 0x44, 0x86, 0x0b, 0x7b,
	0x69, 0x43, 0x85, 0x1e, 0xb3, 0xad, 0x91, 0x00, 0xb6, 0xb2, 0x90, 0x00,
	0x4f, 0x47, 0x41, 0x2e, 0xb2, 0xf3, 0x12, 0xfd, 0xd2, 0x2a, 0x67, 0x77,
	0xbd, 0xd0, 0xc1, 0x84, 0x82, 0x0c, 0xb8, 0xb2, 0xd9, 0x0a, 0x3b, 0x45,
	0xbd, 0xac, 0x38, 0x50, 0xe2, 0xa7, 0x30, 0x77, 0x32, 0xde, 0xce, 0x56,
	0x27, 0x35, 0x9f, 0x11, 0x47, 0x73, 0x89, 0xa0, 0x2d, 0xb5, 0x26, 0xfc,
	0xdf, 0x39, 0x51, 0x92, 0x60, 0xe8, 0xa7, 0x43, 0x4e, 0x09, 0xe3, 0x14,
	0x29, 0x36, 0x25, 0xd6, 0xca, 0xe7, 0xfd, 0x00, 0x31, 0x0f, 0xbb, 0x70,
	0x79, 0x49, 0xe0, 0xd4, 0xcc, 0xd2, 0x8b, 0xd3, 0xaa, 0xe1, 0x95, 0xd3,
	0xd3, 0x91, 0xeb, 0xd4, 0xb8, 0xb9, 0x95, 0x06, 0xf5, 0x09, 0xd4, 0x08,
	0xc3, 0x37, 0x11, 0xac, 0xc5, 0xcc, 0x12, 0x96, 0x1e, 0xe5, 0xdd, 0x9d,
	0x90, 0x35, 0x12, 0xe0, 0xbd, 0xed, 0x92, 0xfb, 0xfe, 0x64, 0xb0, 0xeb,
	0x97, 0x32, 0x9b, 0x59, 0x69, 0x88, 0xcb, 0x33, 0x1a, 0x01, 0x4b, 0x24,
	0xd9, 0xba, 0xa9, 0x81, 0xe1, 0x79, 0x22, 0x91, 0xcd, 0x21, 0x17, 0x53,
	0xf6, 0x23, 0xff, 0x70, 0xef, 0x29, 0xab, 0xfc, 0xd9, 0xc0, 0x17, 0xc1,
	0xb3, 0x6d, 0x9b, 0x2d, 0x93, 0x00, 0x31, 0x1e, 0x34, 0xcd, 0xc0, 0x19,
	0x5e, 0xb9, 0x90, 0xbe, 0x1a, 0x05, 0xed, 0xa6, 0x87, 0x16, 0x4a, 0xfe,
	0xc2, 0xa0, 0xcf, 0xf8, 0xa5, 0x02, 0x03, 0x01, 0x00, 0x01, 0xa3, 0x53,
	0x30, 0x51, 0x30, 0x1d, 0x06, 0x03, 0x55, 0x1d, 0x0e, 0x04, 0x16, 0x04,
	0x14, 0xf0, 0xe9, 0x39, 0x6a, 0x8a, 0xba, 0x96, 0xe6, 0x93, 0x36, 0xc4,
	0xde, 0x04, 0x8a, 0xb3, 0x7a, 0x4c, 0x62, 0xc9, 0xec, 0x30, 0x1f, 0x06,
	0x03, 0x55, 0x1d, 0x23, 0x04, 0x18, 0x30, 0x16, 0x80, 0x14, 0xf0, 0xe9,
	0x39, 0x6a, 0x8a, 0xba, 0x96, 0xe6, 0x93, 0x36, 0xc4, 0xde, 0x04, 0x8a,
	0xb3, 0x7a, 0x4c, 0x62, 0xc9, 0xec, 0x30, 0x0f, 0x06, 0x03, 0x55, 0x1d,
	0x13, 0x01, 0x01, 0xff, 0x04, 0x05, 0x30, 0x03, 0x01, 0x01, 0xff, 0x30,
	0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b,
	0x05, 0x00, 0x03, 0x82, 0x01, 0x01, 0x00, 0x11, 0xdf, 0xe2, 0xc2, 0x60,
	0xc8, 0x23, 0x4c, 0xda, 0xb5, 0x96, 0x82, 0x6d, 0xc1, 0x6c, 0x44, 0x41,
	0x13, 0x8e, 0x5e, 0x15, 0xf7, 0x1f, 0xe0, 0xad, 0xcc, 0x82, 0x6e, 0x27,
	0x90, 0x77, 0x9a, 0x8c, 0xd9, 0xfc, 0xcf, 0x47, 0xba, 0x1d, 0x71, 0x45,
	0x87, 0xc5, 0x2d, 0xfb, 0x2b, 0xff, 0x52, 0x92, 0x9e, 0x3b, 0x30, 0xda,
	0x49, 0xd8, 0xce, 0x61, 0xb6, 0xbe, 0xd7, 0xcb, 0xfb, 0xa3, 0xca, 0x7d,
	0x8f, 0x29, 0x29, 0xf1, 0xd5, 0xd4, 0x64, 0xf8, 0x94, 0xb2, 0x60, 0x34,
	0x90, 0x0e, 0xcc, 0xfd, 0x76, 0xcf, 0xbe, 0xe1, 0x32, 0xed, 0x6d, 0x9d,
	0x89, 0xc0, 0xe9, 0x90, 0x90, 0x0d, 0x79, 0x1f, 0xf6, 0xdd, 0xe6, 0xfc,
	0x75, 0x4c, 0xd1, 0x68, 0x9d, 0xe3, 0x48, 0x2e, 0x32, 0x19, 0x1b, 0x1c,
	0x22, 0x2e, 0x85, 0x5f, 0x6f, 0x0d, 0xdf, 0x99, 0x4d, 0xff, 0xe0, 0x74,
	0x54, 0xc4, 0x48, 0xba, 0xce, 0x22, 0x77, 0x9a, 0x43, 0xaa, 0x9c, 0xd8,
	0xec, 0x12, 0x97, 0x6b, 0xdc, 0x4b, 0xf8, 0x87, 0x1d, 0x72, 0x97, 0xd5,
	0x4f, 0x94, 0x51, 0x1e, 0x5d, 0xaf, 0x65, 0x1a, 0xe5, 0x3f, 0x0b, 0xb2,
	0xde, 0x0e, 0x97, 0x46, 0x62, 0xc0, 0xc4, 0xfb, 0xd6, 0x36, 0x6d, 0xd5,
	0x92, 0x0e, 0x1a, 0x51, 0x6b, 0xb0, 0x10, 0xac, 0x58, 0x97, 0x4b, 0x41,
	0xa6, 0x6b, 0x35, 0x82, 0x9d, 0x2a, 0x8b, 0x17, 0x75, 0xdf, 0xb5, 0x9e,
	0x06, 0x2e, 0x20, 0xb3, 0x68, 0xff, 0xdb, 0xb8, 0x2d, 0x60, 0xdb, 0x86,
	0xb6, 0x68, 0x98, 0xaf, 0xe4, 0xe5, 0x43, 0x43, 0xc7, 0x24, 0xe0, 0xd3,
	0x03, 0xf7, 0x26, 0x04, 0x5c, 0x32, 0x07, 0x6a, 0xa7, 0x03, 0x4c, 0x7b,
	0x1b, 0xbf, 0xd6, 0x39, 0xeb, 0x6d, 0xe0, 0x3c, 0x45, 0xe2, 0x2c, 0x73,
	0x5e, 0x2c, 0xdf, 0x5f, 0xa0, 0xb7, 0x1c, 0x6f, 0xcf, 0x56, 0x77,
};

static const unsigned char rsa_spki[294] = {
	0x30, 0x82, 0x01, 0x22, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
	0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00, 0x03, 0x82, 0x01, 0x0f, 0x00,
	0x30, 0x82, 0x01, 0x0a, 0x02, 0x82, 0x01, 0x01, 0x00, 0x88, 0x39, 0xec,
	0xe0, 0x49, 0x39, 0x59, 0xef, 0xdb, 0x3c, 0x57, 0x58, 0x2f, 0xb9, 0x5b,
	0xe1, 0x96, 0xa2, 0xb7, 0xb0, 0x1c, 0x67, 0x4e, 0x6b, 0x53, 0x1c, 0x0e,
	0xfa, 0x76, 0x35, 0x83, 0x1a, 0xb0, 0x3a, 0xc6, 0x2b, 0x21, 0xa7, 0x0a,
	0xf1, 0xa1, 0x1a, 0xd6, 0xf5, 0xf8, 0xbe, 0xb3, 0xeb, 0x90, 0x13, 0x01,
	0xc4, 0xdb, 0x14, 0x37, 0x44, 0x86, 0x0b, 0x7b, 0x69, 0x43, 0x85, 0x1e,
	0xb3, 0xad, 0x91, 0x00, 0xb6, 0xb2, 0x90, 0x00, 0x4f, 0x47, 0x41, 0x2e,
	0xb2, 0xf3, 0x12, 0xfd, 0xd2, 0x2a, 0x67, 0x77, 0xbd, 0xd0, 0xc1, 0x84,
	0x82, 0x0c, 0xb8, 0xb2, 0xd9, 0x0a, 0x3b, 0x45, 0xbd, 0xac, 0x38, 0x50,
	0xe2, 0xa7, 0x30, 0x77, 0x32, 0xde, 0xce, 0x56, 0x27, 0x35, 0x9f, 0x11,
	0x47, 0x73, 0x89, 0xa0, 0x2d, 0xb5, 0x26, 0xfc, 0xdf, 0x39, 0x51, 0x92,
	0x60, 0xe8, 0xa7, 0x43, 0x4e, 0x09, 0xe3, 0x14, 0x29, 0x36, 0x25, 0xd6,
	0xca, 0xe7, 0xfd, 0x00, 0x31, 0x0f, 0xbb, 0x70, 0x79, 0x49, 0xe0, 0xd4,
	0xcc, 0xd2, 0x8b, 0xd3, 0xaa, 0xe1, 0x95, 0xd3, 0xd3, 0x91, 0xeb, 0xd4,
	0xb8, 0xb9, 0x95, 0x06, 0xf5, 0x09, 0xd4, 0x08, 0xc3, 0x37, 0x11, 0xac,
	0xc5, 0xcc, 0x12, 0x96, 0x1e, 0xe5, 0xdd, 0x9d, 0x90, 0x35, 0x12, 0xe0,
	0xbd, 0xed, 0x92, 0xfb, 0xfe, 0x64, 0xb0, 0xeb, 0x97, 0x32, 0x9b, 0x59,
	0x69, 0x88, 0xcb, 0x33, 0x1a, 0x01, 0x4b, 0x24, 0xd9, 0xba, 0xa9, 0x81,
	0xe1, 0x79, 0x22, 0x91, 0xcd, 0x21, 0x17, 0x53, 0xf6, 0x23, 0xff, 0x70,
	0xef, 0x29, 0xab, 0xfc, 0xd9, 0xc0, 0x17, 0xc1, 0xb3, 0x6d, 0x9b, 0x2d,
	0x93, 0x00, 0x31, 0x1e, 0x34, 0xcd, 0xc0, 0x19, 0x5e, 0xb9, 0x90, 0xbe,
	0x1a, 0x05, 0xed, 0xa6, 0x87, 0x16, 0x4a, 0xfe, 0xc2, 0xa0, 0xcf, 0xf8,
	0xa5, 0x02, 0x03, 0x01, 0x00, 0x01,
};

static const unsigned char v1_der[304] = {
	0x30, 0x82, 0x01, 0x2c, 0x30, 0x81, 0xd3, 0x02, 0x14, 0x7b, 0x23, 0xca,
	0x7f, 0xb1, 0xec, 0xbc, 0xb6, 0x17, 0xa7, 0x35, 0xd2, 0x7d, 0x2e, 0x22,
	0xaf, 0xc3, 0xa6, 0x59, 0xca, 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48,
	0xce, 0x3d, 0x04, 0x03, 0x02, 0x30, 0x19, 0x31, 0x17, 0x30, 0x15, 0x06,
	0x03, 0x55, 0x04, 0x03, 0x0c, 0x0e, 0x76, 0x31, 0x2e, 0x65, 0x78, 0x61,
	0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x6f, 0x72, 0x67, 0x30, 0x1e, 0x17, 0x0d,
	0x32, 0x36, 0x31, 0x31, 0x32, 0x39, 0x30, 0x30, 0x33, 0x33, 0x30, 0x33,
	0x5a, 0x17, 0x0d, 0x33, 0x36, 0x31, 0x31, 0x32, 0x36, 0x30, 0x30, 0x33,
	0x33, 0x30, 0x33, 0x5a, 0x30, 0x19, 0x31, 0x17, 0x30, 0x15, 0x06, 0x03,
	0x55, 0x04, 0x03, 0x0c, 0x0e, 0x76, 0x31, 0x2e, 0x65, 0x78, 0x61, 0x6d,
	0x70, 0x6c, 0x65, 0x2e, 0x6f, 0x72, 0x67, 0x30, 0x59, 0x30, 0x13, 0x06,
	0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86,
	0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04, 0xdb, 0x0b,
	0xe8, 0x2f, 0xfb, 0x27, 0x80, 0x43, 0x1b, 0xa8, 0x0e, 0x96, 0xa5, 0xa0,
	0xf6, 0x84, 0x89, 0xd8, 0x3d, 0xeb, 0x26, 0x86, 0xca, 0x79, 0xc0, 0xfd,
	0xde, 0x8e, 0x3f, 0x1e, 0xe2, 0x87, 0xa6, 0xef, 0xf6, 0x48, 0x8e, 0x70,
	0x34, 0x43, 0xf2, 0xa9, 0xfd, 0x9b, 0x7b, 0x67, 0x45, 0x5a, 0x0b, 0x10,
	0x30, 0x95, 0x54, 0x84, 0xbf, 0x89, 0xfc, 0xd6, 0x88, 0xa0, 0x05, 0xba,
	0x4e, 0x50, 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04,
	0x03, 0x02, 0x03, 0x48, 0x00, 0x30, 0x45, 0x02, 0x21, 0x00, 0xda, 0x7c,
	0x5b, 0x3b, 0x38, 0xb9, 0x8d, 0x91, 0xa0, 0x57, 0x43, 0x57, 0x61, 0xb6,
	0xde, 0xce, 0xa3, 0x59, 0x46, 0xf8, 0x46, 0x63, 0xea, 0x0b, 0x7a, 0xe7,
	0xac, 0x56, 0xfd, 0xc5, 0xe8, 0xe2, 0x02, 0x20, 0x22, 0xda, 0x26, 0x42,
	0x53, 0x0f, 0xae, 0xe1, 0xfc, 0x06, 0x5e, 0x78, 0x36, 0x5b, 0x93, 0x59,
	0xc9, 0x67, 0x93, 0x89, 0x35, 0x49, 0x90, 0xb9, 0x73, 0x60, 0xef, 0x20,
	0x29, 0xbf, 0xe9, 0xd1,
};

static const unsigned char v1_spki[91] = {
	0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02,
	0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03,
	0x42, 0x00, 0x04, 0xdb, 0x0b, 0xe8, 0x2f, 0xfb, 0x27, 0x80, 0x43, 0x1b,
	0xa8, 0x0e, 0x96, 0xa5, 0xa0, 0xf6, 0x84, 0x89, 0xd8, 0x3d, 0xeb, 0x26,
	0x86, 0xca, 0x79, 0xc0, 0xfd, 0xde, 0x8e, 0x3f, 0x1e, 0xe2, 0x87, 0xa6,
	0xef, 0xf6, 0x48, 0x8e, 0x70, 0x34, 0x43, 0xf2, 0xa9, 0xfd, 0x9b, 0x7b,
	0x67, 0x45, 0x5a, 0x0b, 0x10, 0x30, 0x95, 0x54, 0x84, 0xbf, 0x89, 0xfc,
	0xd6, 0x88, 0xa0, 0x05, 0xba, 0x4e, 0x50,
};

static const char ec_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBhzCCAS2gAwIBAgIUBbUAAB7NzCAXPzORXbzE8GHXopYwCgYIKoZIzj0EAwIw\n"
    "GTEXMBUGA1UEAwwObXguZXhhbXBsZS5vcmcwHhcNMjYxMTI5MDAzMzAzWhcNMzYx\n"
    "MTI2MDAzMzAzWjAZMRcwFQYDVQQDDA5teC5leGFtcGxlLm9yZzBZMBMGByqGSM49\n"
    "AgEGCCqGSM49AwEHA0IABFR8pUvSL1yXb8jU5gSW+AguMtQ/Wla8nUwZQ83kQFDP\n"
    "g/IvxtdFB1fuGB/ylbzvlmZ0/inzKwSwkj7gc/erCj6jUzBRMB0GA1UdDgQWBBQA\n"
    "Hl8INXmrf9SHP4VXHUT1DCrDbDAfBgNVHSMEGDAWgBQAHl8INXmrf9SHP4VXHUT1\n"
    "DCrDbDAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCIQD7emBXScCJ\n"
    "/hN8cgCc/We70xrRvi+O+IJ8PwQXbbaBDgIgd4o2KyXl4S+XpLPkf8lSbVRO+55o\n"
    "oCK5bOoQXLwEGt0=\n"
    "-----END CERTIFICATE-----\n";

static const char rsa_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIDEzCCAfugAwIBAgIUdHz0Zb36JdXSvCYeManyYOhAUmQwDQYJKoZIhvcNAQEL\n"
    "BQAwGTEXMBUGA1UEAwwObXguZXhhbXBsZS5vcmcwHhcNMjYxMTI5MDAzMzAzWhcN\n"
    "MzYxMTI2MDAzMzAzWjAZMRcwFQYDVQQDDA5teC5leGFtcGxlLm9yZzCCASIwDQYJ\n"
    "KoZIhvcNAQEBBQADggEPADCCAQoCggEBAIg57OBJOVnv2zxXWC+5W+GWorewHGdO\n"
    "a1McDvp2NYMasDrGKyGnCvGhGtb1+L6z65ATAcTbFDdEhgt7aUOFHrOtkQC2spAA\n"
    "T0dBLrLzEv3SKmd3vdDBhIIMuLLZCjtFvaw4UOKnMHcy3s5WJzWfEUdziaAttSb8\n"
    "3zlRkmDop0NOCeMUKTYl1srn/QAxD7tweUng1MzSi9Oq4ZXT05Hr1Li5lQb1CdQI\n"
    "wzcRrMXMEpYe5d2dkDUS4L3tkvv+ZLDrlzKbWWmIyzMaAUsk2bqpgeF5IpHNIRdT\n"
    "9iP/cO8pq/zZwBfBs22bLZMAMR40zcAZXrmQvhoF7aaHFkr+wqDP+KUCAwEAAaNT\n"
    "MFEwHQYDVR0OBBYEFPDpOWqKupbmkzbE3gSKs3pMYsnsMB8GA1UdIwQYMBaAFPDp\n"
    "OWqKupbmkzbE3gSKs3pMYsnsMA8GA1UdEwEB/wQFMAMBAf8wDQYJKoZIhvcNAQEL\n"
    "BQADggEBABHf4sJgyCNM2rWWgm3BbERBE45eFfcf4K3Mgm4nkHeajNn8z0e6HXFF\n"
    "h8Ut+yv/UpKeOzDaSdjOYba+18v7o8p9jykp8dXUZPiUsmA0kA7M/XbPvuEy7W2d\n"
    "icDpkJANeR/23eb8dUzRaJ3jSC4yGRscIi6FX28N35lN/+B0VMRIus4id5pDqpzY\n"
    "7BKXa9xL+IcdcpfVT5RRHl2vZRrlPwuy3g6XRmLAxPvWNm3Vkg4aUWuwEKxYl0tB\n"
    "pms1gp0qixd137WeBi4gs2j/27gtYNuGtmiYr+TlQ0PHJODTA/cmBFwyB2qnA0x7\n"
    "G7/WOett4DxF4ixzXizfX6C3HG/PVnc=\n"
    "-----END CERTIFICATE-----\n";

/* sha256sum and sha512sum of the files above. */
static const char ec_cert256[] =
    "0295cd44cb0261f3514c6a5aea63d14addd2e822018cb0c7e845d3930488e8a2";
static const char ec_cert512[] =
    "6604fdd2f3e261aeb6743c7103d9406682f71eebbdd0d7d281e282bf0c1c7722"
    "73bb4dea822c75627fa6337536f89078f6c9289a06505c3bccff8d6c9f125364";
static const char ec_spki256[] =
    "1bf4c3ed49cf90d9dffb8062a7ace863addcf15a49c3db5f17063dc5d42746f2";
static const char ec_spki512[] =
    "47796ae1ac3079e58fb1e12b7293e6048c7aae680de5b8042d5346811c4dc953"
    "94fc09795cac47f3eb4b2ce2d8412b5eea5e10925f8b018d4e563633c6719d90";
static const char rsa_cert256[] =
    "aeb0bd3d35c907d80eb86cbe99f051fa18185405fd42f449278a3e7cd0bc7699";
static const char rsa_cert512[] =
    "a89ec92a25adbf5fd9648436e0e5c779c9d1df3ab41bcf0692d9d44309ea988e"
    "83eedeb582ff54c5db95ee23ebb3c939fad4f65d44c5ce9b49a3da9cf66d033f";
static const char rsa_spki256[] =
    "b31705af156027ac9e53228c57989dae5a42785821dd22047513e9a36459451f";
static const char rsa_spki512[] =
    "92004fefd12b929178e736a2e0308a10c240749bc181b0259f6ada732c790c5f"
    "05a8ad982e1e25bd74ccab30fc0a50daeb459de2fe1468b34a67614bf8ee2eb9";
static const char v1_spki256[] =
    "f17765732995eba9890b070624b3a439e989a0ec0824ee7636923e52b3b28c39";

/* The bytes of the hex string S (spaces allowed) into OUT; their count. */
static size_t
unhex(const char *s, unsigned char *out, size_t outsz)
{
	size_t n = 0;
	int hi = -1;

	for (; *s; s++) {
		int v;

		if (*s == ' ')
			continue;
		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			v = *s - 'a' + 10;
		else
			BAIL_OUT("bad hex in a test: %s", s);
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n >= outsz)
			BAIL_OUT("hex too long in a test");
		out[n++] = (unsigned char)(hi << 4 | v);
		hi = -1;
	}
	if (hi >= 0)
		BAIL_OUT("odd hex in a test");
	return n;
}

/*
 * Parses into *T the TLSA record USAGE SELECTOR MTYPE with the LEN bytes
 * of association data at DATA; bails out when that fails.
 */
static void
tlsa_make(struct getk_tlsa *t, unsigned usage, unsigned selector,
    unsigned mtype, const unsigned char *data, size_t len)
{
	unsigned char *rdata;
	enum getk_err err;

	rdata = malloc(len + 3);
	if (!rdata)
		BAIL_OUT("out of memory");
	rdata[0] = (unsigned char)usage;
	rdata[1] = (unsigned char)selector;
	rdata[2] = (unsigned char)mtype;
	memcpy(rdata + 3, data, len);
	err = getk_tlsa_parse(rdata, len + 3, t);
	free(rdata);
	if (err)
		BAIL_OUT("getk_tlsa_parse %u %u %u: error %d", usage, selector,
		    mtype, (int)err);
}

/* As tlsa_make, the data as hex. */
static void
tlsa_make_hex(struct getk_tlsa *t, unsigned usage, unsigned selector,
    unsigned mtype, const char *hex)
{
	unsigned char data[64];

	tlsa_make(t, usage, selector, mtype, data,
	    unhex(hex, data, sizeof(data)));
}

/* Whether the record USAGE SELECTOR MTYPE HEX matches CERT. */
static int
match_hex(unsigned usage, unsigned selector, unsigned mtype, const char *hex,
    const unsigned char *cert, size_t len)
{
	struct getk_tlsa t;
	int m;

	tlsa_make_hex(&t, usage, selector, mtype, hex);
	m = getk_tlsa_match(&t, cert, len);
	getk_tlsa_clear(&t);
	return m;
}

/* Whether the record USAGE SELECTOR 0 with DATA matches CERT. */
static int
match_full(unsigned usage, unsigned selector, const unsigned char *data,
    size_t dlen, const unsigned char *cert, size_t len)
{
	struct getk_tlsa t;
	int m;

	tlsa_make(&t, usage, selector, 0, data, dlen);
	m = getk_tlsa_match(&t, cert, len);
	getk_tlsa_clear(&t);
	return m;
}

static int
tlsa_is_clear(const struct getk_tlsa *t)
{
	size_t i;

	for (i = 0; i < sizeof(t->data); i++)
		if (t->data[i])
			return 0;
	return t->usage == 0 && t->selector == 0 && t->mtype == 0 &&
	    t->len == 0 && t->full == NULL;
}

static void
test_openpgpkey_name(void)
{
	static const char want[] =
	    "c93f1e400f26708f98cb19d936620da35eec8f72e57f9eec01c1afd6"
	    "._openpgpkey.example.com";
	char name[256], longdom[300];

	CHECK_INT(getk_dane_openpgpkey_name("hugh", 4, "example.com", name,
	    sizeof(name)), GETK_OK, "openpgpkey_name: RFC 7929 example");
	CHECK_STR(name, want, "openpgpkey_name: RFC 7929 vector");
	CHECK_INT(getk_dane_openpgpkey_name("hugh@example.com", 4,
	    "example.com", name, sizeof(name)), GETK_OK,
	    "openpgpkey_name: LEN bytes of a longer string");
	CHECK_STR(name, want, "openpgpkey_name: only LEN bytes are hashed");
	CHECK_INT(getk_dane_openpgpkey_name("Hugh", 4, "example.com", name,
	    sizeof(name)), GETK_OK, "openpgpkey_name: upper case");
	/* printf Hugh | sha256sum */
	CHECK_STR(name,
	    "7063a398942ba5c6125429518d0608563f3974bb48013ddf58fb01d4"
	    "._openpgpkey.example.com",
	    "openpgpkey_name: the local part is not folded to lower case");
	CHECK_INT(getk_dane_openpgpkey_name("", 0, "Example.COM", name,
	    sizeof(name)), GETK_OK, "openpgpkey_name: empty local part");
	/* printf '' | sha256sum */
	CHECK_STR(name,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b"
	    "._openpgpkey.Example.COM",
	    "openpgpkey_name: empty local part, domain copied as given");

	/* Exactly fitting, one byte short, no room at all. */
	CHECK_INT(getk_dane_openpgpkey_name("hugh", 4, "example.com", name,
	    sizeof(want)), GETK_OK, "openpgpkey_name: an exact fit");
	CHECK_STR(name, want, "openpgpkey_name: the exact fit is complete");
	memset(name, 'x', sizeof(name));
	CHECK_INT(getk_dane_openpgpkey_name("hugh", 4, "example.com", name,
	    sizeof(want) - 1), GETK_ERR_SYNTAX,
	    "openpgpkey_name: one byte too small");
	CHECK_STR(name, "", "openpgpkey_name: NAME is empty on failure");
	memset(name, 'x', sizeof(name));
	CHECK_INT(getk_dane_openpgpkey_name("hugh", 4, "example.com", name,
	    40), GETK_ERR_SYNTAX, "openpgpkey_name: no room for the hash");
	CHECK_STR(name, "", "openpgpkey_name: NAME empty again");
	name[0] = 'x';
	CHECK_INT(getk_dane_openpgpkey_name("hugh", 4, "example.com", name,
	    0), GETK_ERR_SYNTAX, "openpgpkey_name: NAMESZ 0");
	CHECK(name[0] == 'x', "openpgpkey_name: NAMESZ 0 writes nothing");
	memset(longdom, 'a', sizeof(longdom) - 1);
	longdom[sizeof(longdom) - 1] = '\0';
	CHECK_INT(getk_dane_openpgpkey_name("hugh", 4, longdom, name,
	    sizeof(name)), GETK_ERR_SYNTAX,
	    "openpgpkey_name: a domain too long for NAME");
	longdom[sizeof(name) - 70] = '\0';
	CHECK_INT(getk_dane_openpgpkey_name("hugh", 4, longdom, name,
	    sizeof(name)), GETK_OK,
	    "openpgpkey_name: the longest domain that fits");
	CHECK_INT(strlen(name), sizeof(name) - 1,
	    "openpgpkey_name: it fills NAME");
}

static void
test_tlsa_parse(void)
{
	unsigned char rdata[3 + 65536 + 1], digest[64];
	struct getk_tlsa t;
	size_t i;

	for (i = 0; i < sizeof(digest); i++)
		digest[i] = (unsigned char)(0xa0 + i);

	/* 3 1 1 with 32 octets. */
	rdata[0] = 3;
	rdata[1] = 1;
	rdata[2] = 1;
	memcpy(rdata + 3, digest, 32);
	CHECK_INT(getk_tlsa_parse(rdata, 35, &t), GETK_OK, "tlsa: 3 1 1");
	CHECK(t.usage == 3 && t.selector == 1 && t.mtype == 1,
	    "tlsa: 3 1 1: the fields");
	CHECK_INT(t.len, 32, "tlsa: 3 1 1: 32 octets of data");
	CHECK(memcmp(t.data, digest, 32) == 0, "tlsa: 3 1 1: the digest");
	CHECK(t.full == NULL, "tlsa: 3 1 1: nothing in FULL");
	CHECK(getk_tlsa_usable(&t), "tlsa: 3 1 1 is usable");
	getk_tlsa_clear(&t);
	CHECK(tlsa_is_clear(&t), "tlsa: clear clears");
	getk_tlsa_clear(&t);
	getk_tlsa_clear(NULL);
	CHECK(tlsa_is_clear(&t), "tlsa: clearing twice and NULL are fine");

	/* Wrong digest lengths; on failure the record is left cleared. */
	memset(&t, 0x55, sizeof(t));
	CHECK_INT(getk_tlsa_parse(rdata, 34, &t), GETK_ERR_SYNTAX,
	    "tlsa: 3 1 1 with 31 octets");
	CHECK(tlsa_is_clear(&t), "tlsa: a refused record is cleared");
	CHECK_INT(getk_tlsa_parse(rdata, 36, &t), GETK_ERR_SYNTAX,
	    "tlsa: 3 1 1 with 33 octets");
	CHECK_INT(getk_tlsa_parse(rdata, 67, &t), GETK_ERR_SYNTAX,
	    "tlsa: 3 1 1 with 64 octets");
	rdata[2] = 2;
	memcpy(rdata + 3, digest, 64);
	CHECK_INT(getk_tlsa_parse(rdata, 35, &t), GETK_ERR_SYNTAX,
	    "tlsa: 3 1 2 with 32 octets");
	CHECK_INT(getk_tlsa_parse(rdata, 66, &t), GETK_ERR_SYNTAX,
	    "tlsa: 3 1 2 with 63 octets");
	CHECK_INT(getk_tlsa_parse(rdata, 68, &t), GETK_ERR_SYNTAX,
	    "tlsa: 3 1 2 with 65 octets");
	CHECK_INT(getk_tlsa_parse(rdata, 67, &t), GETK_OK,
	    "tlsa: 3 1 2 with 64 octets");
	CHECK(t.mtype == 2 && t.len == 64 && memcmp(t.data, digest, 64) == 0,
	    "tlsa: 3 1 2: the digest");
	CHECK(getk_tlsa_usable(&t), "tlsa: 3 1 2 is usable");
	getk_tlsa_clear(&t);

	/* Too short. */
	for (i = 0; i < 4; i++)
		CHECK_INT(getk_tlsa_parse(rdata, i, &t), GETK_ERR_SYNTAX,
		    "tlsa: %zu octets are too few", i);
	rdata[2] = 0;
	CHECK_INT(getk_tlsa_parse(rdata, 3, &t), GETK_ERR_SYNTAX,
	    "tlsa: mtype 0 with no data");

	/* Matching type 0: a copy of the data. */
	CHECK_INT(getk_tlsa_parse(rdata, 4, &t), GETK_OK,
	    "tlsa: mtype 0 with one octet");
	CHECK(t.full != NULL && t.len == 1 && t.full[0] == digest[0],
	    "tlsa: mtype 0: the octet is in FULL");
	getk_tlsa_clear(&t);
	memset(rdata + 3, 0x5a, 65536);
	CHECK_INT(getk_tlsa_parse(rdata, 3 + 65535, &t), GETK_OK,
	    "tlsa: mtype 0 with 65535 octets");
	CHECK(t.full != NULL && t.len == 65535 && t.full[65534] == 0x5a,
	    "tlsa: mtype 0: all 65535 octets kept");
	CHECK(t.full != rdata + 3, "tlsa: mtype 0: FULL is a copy");
	CHECK(getk_tlsa_usable(&t), "tlsa: 3 1 0 is usable");
	getk_tlsa_clear(&t);
	CHECK_INT(getk_tlsa_parse(rdata, 3 + 65536, &t), GETK_ERR_SYNTAX,
	    "tlsa: mtype 0 with 65536 octets");
	CHECK(tlsa_is_clear(&t), "tlsa: refused mtype 0 record is cleared");

	/* Unknown values are parsed, but not usable. */
	memcpy(rdata + 3, digest, 32);
	rdata[1] = 1;
	rdata[2] = 1;
	for (i = 0; i < 256; i++) {
		rdata[0] = (unsigned char)i;
		if (getk_tlsa_parse(rdata, 35, &t) != GETK_OK ||
		    t.usage != i || getk_tlsa_usable(&t) != (i == 2 || i == 3))
			break;
		getk_tlsa_clear(&t);
	}
	CHECK_INT(i, 256, "tlsa: every usage parses; only 2 and 3 usable");
	rdata[0] = 3;
	for (i = 0; i < 256; i++) {
		rdata[1] = (unsigned char)i;
		if (getk_tlsa_parse(rdata, 35, &t) != GETK_OK ||
		    t.selector != i || getk_tlsa_usable(&t) != (i <= 1))
			break;
		getk_tlsa_clear(&t);
	}
	CHECK_INT(i, 256, "tlsa: every selector parses; only 0 and 1 usable");
	rdata[0] = 4;
	rdata[1] = 1;
	CHECK_INT(getk_tlsa_parse(rdata, 35, &t), GETK_OK,
	    "tlsa: unknown usage 4 parses");
	CHECK(!getk_tlsa_usable(&t), "tlsa: usage 4 is not usable");
	getk_tlsa_clear(&t);
	rdata[0] = 1;
	CHECK_INT(getk_tlsa_parse(rdata, 35, &t), GETK_OK,
	    "tlsa: PKIX-EE parses");
	CHECK(!getk_tlsa_usable(&t), "tlsa: PKIX-EE (1) is not usable");
	getk_tlsa_clear(&t);
	rdata[0] = 0;
	CHECK_INT(getk_tlsa_parse(rdata, 35, &t), GETK_OK,
	    "tlsa: PKIX-TA parses");
	CHECK(!getk_tlsa_usable(&t), "tlsa: PKIX-TA (0) is not usable");
	getk_tlsa_clear(&t);
	rdata[0] = 2;
	CHECK_INT(getk_tlsa_parse(rdata, 35, &t), GETK_OK,
	    "tlsa: DANE-TA parses");
	CHECK(getk_tlsa_usable(&t), "tlsa: DANE-TA (2) is usable");
	getk_tlsa_clear(&t);
	rdata[0] = 3;
	rdata[2] = 3;
	CHECK_INT(getk_tlsa_parse(rdata, 8, &t), GETK_OK,
	    "tlsa: unknown mtype 3 with 5 octets parses");
	CHECK(t.mtype == 3 && t.len == 5 && t.full != NULL &&
	    memcmp(t.full, digest, 5) == 0,
	    "tlsa: unknown mtype: the data are kept in FULL");
	CHECK(!getk_tlsa_usable(&t), "tlsa: mtype 3 is not usable");
	getk_tlsa_clear(&t);
	rdata[2] = 255;
	CHECK_INT(getk_tlsa_parse(rdata, 3 + 200, &t), GETK_OK,
	    "tlsa: unknown mtype 255 with 200 octets parses");
	CHECK(t.len == 200 && t.full != NULL && !getk_tlsa_usable(&t),
	    "tlsa: mtype 255: kept, not usable");
	getk_tlsa_clear(&t);
}

/*
 * The bytes of the hex S in memory of exactly their size, so that ASan
 * sees any read past them; the caller frees them.
 */
static unsigned char *
unhex_alloc(const char *s, size_t *r_len)
{
	unsigned char buf[512], *p;

	*r_len = unhex(s, buf, sizeof(buf));
	p = malloc(*r_len ? *r_len : 1);
	if (!p)
		BAIL_OUT("out of memory");
	memcpy(p, buf, *r_len);
	return p;
}

/* Runs getk_der_cert_spki on the hex S; checks the SPKI's place. */
static void
spki_ok(const char *s, size_t want_off, size_t want_len, const char *desc)
{
	unsigned char *der;
	const unsigned char *spki = NULL;
	size_t len, spkilen = 0;

	der = unhex_alloc(s, &len);
	CHECK_INT(getk_der_cert_spki(der, len, &spki, &spkilen), GETK_OK,
	    "der: %s", desc);
	CHECK_INT(spki ? spki - der : -1, want_off, "der: %s: SPKI offset",
	    desc);
	CHECK_INT(spkilen, want_len, "der: %s: SPKI length", desc);
	free(der);
}

static void
spki_bad(const char *s, const char *desc)
{
	unsigned char *der;
	const unsigned char *spki;
	size_t len, spkilen = 1;

	der = unhex_alloc(s, &len);
	spki = der;
	CHECK_INT(getk_der_cert_spki(der, len, &spki, &spkilen),
	    GETK_ERR_SYNTAX, "der: refuses %s", desc);
	CHECK(spki == NULL && spkilen == 0, "der: %s: outputs cleared", desc);
	free(der);
}

/*
 * Hand-made certificates, the smallest the walker accepts, and their
 * broken variants.  The v1 one is
 *   30 1b                          Certificate
 *     30 14                        tbsCertificate
 *       02 01 01                   serialNumber
 *       30 00 30 00 30 00 30 00    signature, issuer, validity, subject
 *       30 07 30 00 03 03 00 ab cd subjectPublicKeyInfo
 *     30 00 03 01 00               signatureAlgorithm, signatureValue
 */
static void
test_der_crafted(void)
{
	spki_ok("30 1b 30 14 02 01 01 30 00 30 00 30 00 30 00"
	    " 30 07 30 00 03 03 00 ab cd 30 00 03 01 00", 15, 9,
	    "a hand-made v1 certificate");
	spki_ok("30 20 30 19 a0 03 02 01 02 02 01 01 30 00 30 00 30 00 30 00"
	    " 30 07 30 00 03 03 00 ab cd 30 00 03 01 00", 20, 9,
	    "a hand-made v3 certificate");
	spki_ok("30 24 30 1d a0 03 02 01 02 02 01 01 30 00 30 00 30 00 30 00"
	    " 30 07 30 00 03 03 00 ab cd a3 02 30 00 30 00 03 01 00", 20, 9,
	    "a v3 certificate with [3] extensions after the SPKI");

	spki_bad("", "no bytes");
	spki_bad("30", "one byte");
	spki_bad("30 00", "an empty SEQUENCE");
	spki_bad("30 02 30 00", "an empty tbsCertificate");
	spki_bad("31 1b 30 14 02 01 01 30 00 30 00 30 00 30 00"
	    " 30 07 30 00 03 03 00 ab cd 30 00 03 01 00",
	    "a SET for the certificate");
	spki_bad("30 1b 30 14 02 01 01 30 00 30 00 30 00 30 00"
	    " 30 07 30 00 03 03 00 ab cd 30 00 03 01 00 00",
	    "a byte after the certificate");
	spki_bad("30 1c 30 14 02 01 01 30 00 30 00 30 00 30 00"
	    " 30 07 30 00 03 03 00 ab cd 30 00 03 01 00",
	    "a certificate longer than the input");
	spki_bad("30 80 30 14 02 01 01 30 00 30 00 30 00 30 00"
	    " 30 07 30 00 03 03 00 ab cd 30 00 03 01 00 00 00",
	    "an indefinite length (certificate)");
	spki_bad("30 1b 30 80 02 01 01 30 00 30 00 30 00 30 00"
	    " 30 07 30 00 03 03 00 ab cd 00 00 03 01 00",
	    "an indefinite length (tbsCertificate)");
	spki_bad("30 1b 30 14 02 01 01 30 00 30 00 30 00 30 00"
	    " 30 80 30 00 03 03 00 ab cd 30 00 03 01 00",
	    "an indefinite length (SPKI)");
	spki_bad("30 81 1b 30 14 02 01 01 30 00 30 00 30 00 30 00"
	    " 30 07 30 00 03 03 00 ab cd 30 00 03 01 00",
	    "a long-form length under 128");
	spki_bad("30 82 00 1b 30 14 02 01 01 30 00 30 00 30 00 30 00"
	    " 30 07 30 00 03 03 00 ab cd 30 00 03 01 00",
	    "a length with a leading zero octet");
	spki_bad("30 85 00 00 00 00 1b 30 14 02 01 01 30 00 30 00 30 00"
	    " 30 00 30 07 30 00 03 03 00 ab cd 30 00 03 01 00",
	    "a length of 5 octets");
	spki_bad("30 84 7f ff ff ff 30 14 02 01 01 30 00 30 00 30 00"
	    " 30 00 30 07 30 00 03 03 00 ab cd 30 00 03 01 00",
	    "a 4-octet length far past the input");
	spki_bad("30 84 ff ff ff ff 30", "a length of 2^32-1");
	spki_bad("30 1b 30 14 02 13 01 30 00 30 00 30 00 30 00"
	    " 30 07 30 00 03 03 00 ab cd 30 00 03 01 00",
	    "a serial running past the tbsCertificate");
	spki_bad("30 1b 30 14 02 01 01 30 00 30 00 30 00 30 00"
	    " 30 08 30 00 03 03 00 ab cd 30 00 03 01 00",
	    "an SPKI running past the tbsCertificate");
	spki_bad("30 1b 30 13 02 01 01 30 00 30 00 30 00 30 00"
	    " 30 07 30 00 03 03 00 ab cd 30 00 03 01 00",
	    "an SPKI running one byte past a short tbsCertificate");
	spki_bad("30 1b 30 1a 02 01 01 30 00 30 00 30 00 30 00"
	    " 30 07 30 00 03 03 00 ab cd 30 00 03 01 00",
	    "a tbsCertificate running past the certificate");
	spki_bad("30 1b 30 14 02 01 01 30 00 30 00 30 00 30 00"
	    " 30 07 30 00 03 04 00 ab cd 30 00 03 01 00",
	    "a BIT STRING running past the SPKI");
	spki_bad("30 12 30 0b 02 01 01 30 00 30 00 30 00 30 00"
	    " 30 00 03 01 00", "no SPKI");
	spki_bad("30 1b 30 14 03 01 01 30 00 30 00 30 00 30 00"
	    " 30 07 30 00 03 03 00 ab cd 30 00 03 01 00",
	    "a BIT STRING for the serial");
	spki_bad("30 1b 30 14 02 01 01 30 00 31 00 30 00 30 00"
	    " 30 07 30 00 03 03 00 ab cd 30 00 03 01 00",
	    "a SET for the issuer");
	spki_bad("30 1b 30 14 02 01 01 30 00 30 00 30 00 30 00"
	    " 31 07 30 00 03 03 00 ab cd 30 00 03 01 00",
	    "a SET for the SPKI");
	spki_bad("30 1b 30 14 02 01 01 30 00 30 00 30 00 30 00"
	    " 30 07 30 00 04 03 00 ab cd 30 00 03 01 00",
	    "an OCTET STRING for the key");
	spki_bad("30 1c 30 15 02 01 01 30 00 30 00 30 00 30 00"
	    " 30 08 30 00 03 03 00 ab cd 00 30 00 03 01 00",
	    "a byte after the key inside the SPKI");
	spki_bad("30 1b 30 14 1f 01 01 30 00 30 00 30 00 30 00"
	    " 30 07 30 00 03 03 00 ab cd 30 00 03 01 00",
	    "a high-tag-number identifier");
	spki_bad("30 20 30 19 a0 03 04 01 02 02 01 01 30 00 30 00 30 00 30 00"
	    " 30 07 30 00 03 03 00 ab cd 30 00 03 01 00",
	    "a version that is not an INTEGER");
	spki_bad("30 21 30 1a a0 04 02 01 02 00 02 01 01 30 00 30 00 30 00"
	    " 30 00 30 07 30 00 03 03 00 ab cd 30 00 03 01 00",
	    "a byte after the version INTEGER");
	spki_bad("30 20 30 19 a0 03 02 02 02 02 01 01 30 00 30 00 30 00 30 00"
	    " 30 07 30 00 03 03 00 ab cd 30 00 03 01 00",
	    "a version INTEGER running past its [0]");
	spki_bad("30 07 30 05 a0 03 02 01 02", "only a version");
	spki_bad("30 25 30 1e a0 03 02 01 02 a0 03 02 01 02 02 01 01 30 00"
	    " 30 00 30 00 30 00 30 07 30 00 03 03 00 ab cd 30 00 03 01 00",
	    "two versions");
}

/* Checks a real certificate's SPKI against OpenSSL's, and truncations. */
static void
der_real(const char *what, const unsigned char *cert, size_t len,
    const unsigned char *want, size_t wantlen, size_t want_off)
{
	const unsigned char *spki;
	unsigned char *copy;
	size_t spkilen, i;

	CHECK_INT(getk_der_cert_spki(cert, len, &spki, &spkilen), GETK_OK,
	    "der: %s certificate", what);
	CHECK_INT(spki - cert, want_off, "der: %s: SPKI offset", what);
	CHECK(spkilen == wantlen && memcmp(spki, want, wantlen) == 0,
	    "der: %s: the SPKI is OpenSSL's", what);

	/*
	 * Every truncation is refused, in memory of its own length so that
	 * ASan sees any read past it.
	 */
	for (i = 0; i < len; i++) {
		copy = malloc(i ? i : 1);
		if (!copy)
			BAIL_OUT("out of memory");
		memcpy(copy, cert, i);
		if (getk_der_cert_spki(copy, i, &spki, &spkilen) !=
		    GETK_ERR_SYNTAX || spki != NULL) {
			free(copy);
			break;
		}
		free(copy);
	}
	CHECK_INT(i, len, "der: %s: every truncation is refused", what);

	copy = malloc(len + 1);
	if (!copy)
		BAIL_OUT("out of memory");
	memcpy(copy, cert, len);
	copy[len] = 0;
	CHECK_INT(getk_der_cert_spki(copy, len + 1, &spki, &spkilen),
	    GETK_ERR_SYNTAX, "der: %s with a byte after it", what);
	free(copy);
}

/*
 * Runs getk_der_cert_spki on the hex HEAD followed by the LEN - SKIP last
 * bytes of CERT: the certificate with its first SKIP bytes re-encoded.
 */
static enum getk_err
long_length(const unsigned char *cert, size_t len, const char *head,
    size_t skip)
{
	unsigned char buf[64], *p;
	const unsigned char *spki;
	size_t hlen, spkilen;
	enum getk_err err;

	hlen = unhex(head, buf, sizeof(buf));
	p = malloc(hlen + len - skip);
	if (!p)
		BAIL_OUT("out of memory");
	memcpy(p, buf, hlen);
	memcpy(p + hlen, cert + skip, len - skip);
	err = getk_der_cert_spki(p, hlen + len - skip, &spki, &spkilen);
	free(p);
	return err;
}

static void
test_der_real(void)
{
	unsigned char copy[sizeof(v1_der)];
	const unsigned char *spki;
	size_t spkilen;

	/* Offsets from "openssl asn1parse -inform DER". */
	der_real("EC", ec_der, sizeof(ec_der), ec_spki, sizeof(ec_spki), 133);
	der_real("RSA", rsa_der, sizeof(rsa_der), rsa_spki,
	    sizeof(rsa_spki), 136);
	der_real("v1", v1_der, sizeof(v1_der), v1_spki, sizeof(v1_spki), 127);
	CHECK(v1_der[4] == 0x30 && v1_der[7] == 0x02,
	    "der: the v1 certificate has no [0] version");

	/*
	 * In the v1 certificate the SPKI ends the tbsCertificate: one more
	 * octet of SPKI runs past its parent while staying inside the
	 * certificate.
	 */
	memcpy(copy, v1_der, sizeof(copy));
	CHECK(copy[127] == 0x30 && copy[128] == 89,
	    "der: the v1 SPKI is where asn1parse put it");
	copy[128] = 90;
	CHECK_INT(getk_der_cert_spki(copy, sizeof(copy), &spki, &spkilen),
	    GETK_ERR_SYNTAX, "der: an SPKI running past its tbsCertificate");
	memcpy(copy, v1_der, sizeof(copy));
	copy[5] = 0x80;
	CHECK_INT(getk_der_cert_spki(copy, sizeof(copy), &spki, &spkilen),
	    GETK_ERR_SYNTAX, "der: an indefinite tbsCertificate length");
	CHECK(long_length(v1_der, sizeof(v1_der), "30 82 01 2d 30 82 00 d3",
	    7) == GETK_ERR_SYNTAX,
	    "der: a length of 0xd3 with a leading zero octet");
	CHECK(long_length(v1_der, sizeof(v1_der), "30 82 01 2c 30 81 d3",
	    7) == GETK_OK, "der: the same certificate rebuilt is accepted");
	CHECK(long_length(v1_der, sizeof(v1_der),
	    "30 89 01 00 00 00 00 00 00 01 2c", 4) == GETK_ERR_SYNTAX,
	    "der: a 9-octet length that wraps to the right value");
	CHECK(long_length(v1_der, sizeof(v1_der),
	    "30 85 01 00 00 01 2c", 4) == GETK_ERR_SYNTAX,
	    "der: a 5-octet length");
	memcpy(copy, v1_der, sizeof(copy));
	copy[1] = 0x83;
	CHECK_INT(getk_der_cert_spki(copy, sizeof(copy), &spki, &spkilen),
	    GETK_ERR_SYNTAX, "der: a 3-octet certificate length");
}

static void
match_cert(const char *what, const unsigned char *cert, size_t len,
    const unsigned char *spki, size_t spkilen, const char *cert256,
    const char *cert512, const char *spki256, const char *spki512)
{
	unsigned char *bad;
	size_t off;
	struct getk_tlsa t;

	CHECK(match_hex(3, 0, 1, cert256, cert, len), "match: %s 3 0 1", what);
	CHECK(match_hex(3, 1, 1, spki256, cert, len), "match: %s 3 1 1", what);
	CHECK(match_hex(3, 1, 2, spki512, cert, len), "match: %s 3 1 2", what);
	CHECK(match_hex(3, 0, 2, cert512, cert, len), "match: %s 3 0 2", what);
	CHECK(match_full(3, 1, spki, spkilen, cert, len),
	    "match: %s 3 1 0", what);
	CHECK(match_full(3, 0, cert, len, cert, len), "match: %s 3 0 0", what);
	CHECK(match_hex(2, 1, 1, spki256, cert, len), "match: %s 2 1 1", what);
	CHECK(match_hex(1, 1, 1, spki256, cert, len),
	    "match: %s 1 1 1 (the usage is not looked at)", what);

	/* Selector and digest crossed. */
	CHECK(!match_hex(3, 0, 1, spki256, cert, len),
	    "match: %s 3 0 1 with the SPKI digest fails", what);
	CHECK(!match_hex(3, 1, 1, cert256, cert, len),
	    "match: %s 3 1 1 with the certificate digest fails", what);
	CHECK(!match_full(3, 0, spki, spkilen, cert, len),
	    "match: %s 3 0 0 with the SPKI fails", what);
	CHECK(!match_full(3, 1, cert, len, cert, len),
	    "match: %s 3 1 0 with the certificate fails", what);
	CHECK(!match_full(3, 1, spki, spkilen - 1, cert, len),
	    "match: %s 3 1 0 with a short SPKI fails", what);

	/* Unknown selector and matching type. */
	CHECK(!match_hex(3, 2, 1, spki256, cert, len),
	    "match: %s selector 2 never matches", what);
	tlsa_make(&t, 3, 1, 3, spki, spkilen);
	CHECK(!getk_tlsa_match(&t, cert, len),
	    "match: %s mtype 3 never matches", what);
	getk_tlsa_clear(&t);

	/* One flipped byte in the record. */
	tlsa_make_hex(&t, 3, 1, 1, spki256);
	t.data[31] ^= 1;
	CHECK(!getk_tlsa_match(&t, cert, len),
	    "match: %s 3 1 1 with a flipped digest byte", what);
	getk_tlsa_clear(&t);
	tlsa_make_hex(&t, 3, 0, 2, cert512);
	t.data[0] ^= 0x80;
	CHECK(!getk_tlsa_match(&t, cert, len),
	    "match: %s 3 0 2 with a flipped digest byte", what);
	getk_tlsa_clear(&t);

	/* One flipped byte in the certificate. */
	bad = malloc(len);
	if (!bad)
		BAIL_OUT("out of memory");
	memcpy(bad, cert, len);
	bad[len - 1] ^= 1;	/* in the signature */
	CHECK(!match_hex(3, 0, 1, cert256, bad, len),
	    "match: %s 3 0 1, a flipped signature byte", what);
	CHECK(!match_full(3, 0, cert, len, bad, len),
	    "match: %s 3 0 0, a flipped signature byte", what);
	CHECK(match_hex(3, 1, 1, spki256, bad, len),
	    "match: %s 3 1 1 still matches: the SPKI is untouched", what);
	memcpy(bad, cert, len);
	off = (size_t)(spki - cert) + spkilen - 1;	/* in the key */
	bad[off] ^= 1;
	CHECK(!match_hex(3, 1, 1, spki256, bad, len),
	    "match: %s 3 1 1, a flipped key byte", what);
	CHECK(!match_hex(3, 1, 2, spki512, bad, len),
	    "match: %s 3 1 2, a flipped key byte", what);
	CHECK(!match_full(3, 1, spki, spkilen, bad, len),
	    "match: %s 3 1 0, a flipped key byte", what);

	/* A truncated certificate matches nothing, not even its own bytes. */
	memcpy(bad, cert, len);
	CHECK(!match_full(3, 0, bad, len - 1, bad, len - 1),
	    "match: %s truncated, 3 0 0 of the same bytes", what);
	CHECK(!match_hex(3, 1, 1, spki256, bad, len - 1),
	    "match: %s truncated, 3 1 1", what);
	free(bad);
}

static void
test_match(void)
{
	unsigned char spki[sizeof(ec_spki)];

	match_cert("EC", ec_der, sizeof(ec_der), ec_der + 133,
	    sizeof(ec_spki), ec_cert256, ec_cert512, ec_spki256, ec_spki512);
	match_cert("RSA", rsa_der, sizeof(rsa_der), rsa_der + 136,
	    sizeof(rsa_spki), rsa_cert256, rsa_cert512, rsa_spki256,
	    rsa_spki512);
	CHECK(match_hex(3, 1, 1, v1_spki256, v1_der, sizeof(v1_der)),
	    "match: v1 3 1 1");
	CHECK(match_full(3, 1, v1_spki, sizeof(v1_spki), v1_der,
	    sizeof(v1_der)), "match: v1 3 1 0 with OpenSSL's SPKI");
	CHECK(match_full(3, 1, ec_spki, sizeof(ec_spki), ec_der,
	    sizeof(ec_der)), "match: EC 3 1 0 with OpenSSL's SPKI");

	/* One certificate's record does not match another. */
	CHECK(!match_hex(3, 1, 1, ec_spki256, rsa_der, sizeof(rsa_der)),
	    "match: the EC record against the RSA certificate");
	CHECK(!match_hex(3, 0, 1, rsa_cert256, ec_der, sizeof(ec_der)),
	    "match: the RSA record against the EC certificate");
	CHECK(!match_hex(3, 1, 1, ec_spki256, v1_der, sizeof(v1_der)),
	    "match: the EC record against the v1 certificate");
	memcpy(spki, ec_spki, sizeof(spki));
	spki[sizeof(spki) / 2] ^= 0x10;
	CHECK(!match_full(3, 1, spki, sizeof(spki), ec_der, sizeof(ec_der)),
	    "match: 3 1 0 with a flipped SPKI byte");
	CHECK(!match_hex(3, 1, 1, ec_spki256, (const unsigned char *)"", 0),
	    "match: an empty certificate");
}

/* Converts the LEN bytes of PEM; checks the result against WANT. */
static void
pem_ok(const char *pem, size_t len, const unsigned char *want,
    size_t wantlen, const char *desc)
{
	struct getk_buf out;

	getk_buf_init(&out, 0);
	CHECK_INT(getk_pem_cert_to_der(pem, len, &out), GETK_OK,
	    "pem: %s", desc);
	CHECK(out.len == wantlen && memcmp(out.data, want, wantlen) == 0,
	    "pem: %s: the DER", desc);
	getk_buf_free(&out);
}

static void
pem_bad(const char *pem, size_t len, enum getk_err want, const char *desc)
{
	struct getk_buf out;

	getk_buf_init(&out, 0);
	if (getk_buf_adds(&out, "xy"))
		BAIL_OUT("out of memory");
	CHECK_INT(getk_pem_cert_to_der(pem, len, &out), want,
	    "pem: refuses %s", desc);
	CHECK(out.len == 2 && strcmp(out.data, "xy") == 0,
	    "pem: %s: OUT unchanged", desc);
	getk_buf_free(&out);
}

#define PEM_OK(lit, want, wantlen, desc) \
	pem_ok((lit), sizeof(lit) - 1, (const unsigned char *)(want), \
	    (wantlen), (desc))
#define PEM_BAD(lit, desc) \
	pem_bad((lit), sizeof(lit) - 1, GETK_ERR_SYNTAX, (desc))

/* A copy of S with every "\n" made "\r\n"; the caller frees it. */
static char *
crlf(const char *s)
{
	struct getk_buf b;

	getk_buf_init(&b, 0);
	for (; *s; s++)
		if ((*s == '\n' && getk_buf_add(&b, "\r", 1)) ||
		    getk_buf_add(&b, s, 1))
			BAIL_OUT("out of memory");
	return getk_buf_take(&b, NULL);
}

/* The concatenation of A and B; the caller frees it. */
static char *
cat(const char *a, const char *b)
{
	struct getk_buf buf;

	getk_buf_init(&buf, 0);
	if (getk_buf_adds(&buf, a) || getk_buf_adds(&buf, b))
		BAIL_OUT("out of memory");
	return getk_buf_take(&buf, NULL);
}

static void
test_pem(void)
{
	struct getk_buf out;
	char *s;
	size_t n;
	const char *line2;

	pem_ok(ec_pem, strlen(ec_pem), ec_der, sizeof(ec_der), "EC");
	pem_ok(rsa_pem, strlen(rsa_pem), rsa_der, sizeof(rsa_der), "RSA");
	pem_ok(ec_pem, strlen(ec_pem) - 1, ec_der, sizeof(ec_der),
	    "no newline after END");
	s = crlf(ec_pem);
	pem_ok(s, strlen(s), ec_der, sizeof(ec_der), "CR LF line ends");
	free(s);
	s = cat(" \n\t\r\n", ec_pem);
	pem_ok(s, strlen(s), ec_der, sizeof(ec_der), "white space before");
	free(s);
	s = cat(ec_pem, "\n \n");
	pem_ok(s, strlen(s), ec_der, sizeof(ec_der), "white space after");
	free(s);
	PEM_OK("-----BEGIN CERTIFICATE-----\nAAEC\nAw==\n"
	    "-----END CERTIFICATE-----\n", "\0\1\2\3", 4,
	    "short lines, padding");

	/* Appending to what OUT holds; OUT's limit. */
	getk_buf_init(&out, 0);
	if (getk_buf_adds(&out, "xy"))
		BAIL_OUT("out of memory");
	CHECK_INT(getk_pem_cert_to_der(ec_pem, strlen(ec_pem), &out), GETK_OK,
	    "pem: appends to OUT");
	CHECK(out.len == 2 + sizeof(ec_der) && memcmp(out.data, "xy", 2) == 0 &&
	    memcmp(out.data + 2, ec_der, sizeof(ec_der)) == 0,
	    "pem: OUT holds what it held and the DER");
	getk_buf_free(&out);
	getk_buf_init(&out, sizeof(ec_der));
	CHECK_INT(getk_pem_cert_to_der(ec_pem, strlen(ec_pem), &out), GETK_OK,
	    "pem: a limit of exactly the DER's size");
	getk_buf_free(&out);
	getk_buf_init(&out, sizeof(ec_der) + 1);
	if (getk_buf_adds(&out, "xy"))
		BAIL_OUT("out of memory");
	CHECK_INT(getk_pem_cert_to_der(ec_pem, strlen(ec_pem), &out),
	    GETK_ERR_TOOBIG, "pem: over OUT's limit");
	CHECK(out.len == 2 && strcmp(out.data, "xy") == 0,
	    "pem: over the limit, OUT unchanged");
	getk_buf_free(&out);

	/* Malformed armor. */
	pem_bad(ec_pem, 0, GETK_ERR_SYNTAX, "nothing");
	n = strlen(ec_pem) - strlen("-----END CERTIFICATE-----\n");
	pem_bad(ec_pem, n, GETK_ERR_SYNTAX, "a missing END line");
	pem_bad(ec_pem, n + 10, GETK_ERR_SYNTAX, "a truncated END line");
	line2 = strchr(ec_pem, '\n') + 1;
	pem_bad(line2, strlen(line2), GETK_ERR_SYNTAX,
	    "a missing BEGIN line");
	s = cat(ec_pem, "x");
	pem_bad(s, strlen(s), GETK_ERR_SYNTAX, "text after the END line");
	free(s);
	s = cat(ec_pem, ec_pem);
	pem_bad(s, strlen(s), GETK_ERR_SYNTAX, "two certificates");
	free(s);
	s = cat("Cert:", ec_pem);
	pem_bad(s, strlen(s), GETK_ERR_SYNTAX, "libcurl's \"Cert:\" prefix");
	free(s);
	PEM_BAD("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
	    "no base64 at all");
	PEM_BAD("-----BEGIN PUBLIC KEY-----\nAAEC\n-----END PUBLIC KEY-----\n",
	    "a PUBLIC KEY block");
	PEM_BAD("-----BEGIN CERTIFICATE-----AAEC\n"
	    "-----END CERTIFICATE-----\n", "base64 on the BEGIN line");
	PEM_BAD("-----BEGIN CERTIFICATE-----\nAAEC\n\nAAEC\n"
	    "-----END CERTIFICATE-----\n", "an empty line");
	PEM_BAD("-----BEGIN CERTIFICATE-----\nAAEC\nAAEC", "no END line");
	PEM_BAD("-----BEGIN CERTIFICATE-----\nAA*C\n"
	    "-----END CERTIFICATE-----\n", "a '*' in the base64");
	PEM_BAD("-----BEGIN CERTIFICATE-----\nAA C\n"
	    "-----END CERTIFICATE-----\n", "a space in the base64");
	PEM_BAD("-----BEGIN CERTIFICATE-----\nAAE\n"
	    "-----END CERTIFICATE-----\n", "base64 of 3 characters");
	PEM_BAD("-----BEGIN CERTIFICATE-----\nAB==\n"
	    "-----END CERTIFICATE-----\n", "stray bits before padding");
	PEM_BAD("-----BEGIN CERTIFICATE-----\nAA==\nAAEC\n"
	    "-----END CERTIFICATE-----\n", "padding before the last line");
	PEM_BAD("-----BEGIN CERTIFICATE-----\nAAEC\r\r\n"
	    "-----END CERTIFICATE-----\n", "CR CR LF");
	PEM_BAD("-----BEGIN CERTIFICATE-----\nAAEC\0\n"
	    "-----END CERTIFICATE-----\n", "a NUL byte");
	s = strdup(ec_pem);
	if (!s)
		BAIL_OUT("out of memory");
	s[100] = '!';
	pem_bad(s, strlen(s), GETK_ERR_SYNTAX, "a '!' inside the EC PEM");
	free(s);
}

int
main(void)
{
	if (!gcry_check_version(NULL))
		BAIL_OUT("libgcrypt does not initialise");
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	test_openpgpkey_name();
	test_tlsa_parse();
	test_der_crafted();
	test_der_real();
	test_match();
	test_pem();
	return done_testing();
}
