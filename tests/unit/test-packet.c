/*
 * test-packet.c: unit tests of src/packet.c: the packet walker (RFC 4880
 * section 4, RFC 9580 section 4), the transferable public key check and
 * the encrypted message check.
 *
 * Real packets come from gpg 2.2.40 (made with
 *     gpg --quick-gen-key 'Test <test@example.org>' ed25519 sign never
 *     gpg --quick-add-key FPR cv25519 encr never; gpg --export
 *     printf 'hello\n' | gpg -e -r test@example.org -z 0
 *     head -c 600 /dev/zero | gpg -e -r test@example.org -z 0
 *     printf 'hi\n' | gpg -c; printf 'hi\n' | gpg -s
 *     printf 'hi\n' | gpg --store -z 0
 * ); the edge cases are made by hand.  Each walk is done three times,
 * with the input whole, one octet at a time and in pieces of 7 octets,
 * and must give the same events each time.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "packet.h"
#include "unit.h"

/* Public key, User ID, signature, subkey, binding signature: old
 * format headers, as gpg writes keys. */
static const unsigned char key_gpg[] = {
	0x98, 0x33, 0x04, 0x6b, 0x0f, 0x69, 0xb9, 0x16, 0x09, 0x2b, 0x06, 0x01,
	0x04, 0x01, 0xda, 0x47, 0x0f, 0x01, 0x01, 0x07, 0x40, 0xc6, 0xa1, 0x02,
	0x24, 0xe8, 0xb5, 0xb1, 0x00, 0xbf, 0x5d, 0x5e, 0xbb, 0x6b, 0x1a, 0xd8,
	0x78, 0xc9, 0xe7, 0xb2, 0xf8, 0x9d, 0xc9, 0x18, 0x7a, 0xb9, 0x43, 0xf3,
	0x08, 0xab, 0x4b, 0xbb, 0xa7, 0xb4, 0x17, 0x54, 0x65, 0x73, 0x74, 0x20,
	0x3c, 0x74, 0x65, 0x73, 0x74, 0x40, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c,
	0x65, 0x2e, 0x6f, 0x72, 0x67, 0x3e, 0x88, 0x90, 0x04, 0x13, 0x16, 0x08,
	0x00, 0x38, 0x16, 0x21, 0x04, 0xd4, 0x3b, 0xcb, 0xcc, 0xa5, 0x3e, 0xf6,
	0x06, 0x97, 0xfc, 0x02, 0x3d, 0x25, 0xa6, 0x18, 0x2e, 0xbc, 0x0d, 0xbe,
	0x9e, 0x05, 0x02, 0x6b, 0x0f, 0x69, 0xb9, 0x02, 0x1b, 0x03, 0x05, 0x0b,
	0x09, 0x08, 0x07, 0x02, 0x06, 0x15, 0x0a, 0x09, 0x08, 0x0b, 0x02, 0x04,
	0x16, 0x02, 0x03, 0x01, 0x02, 0x1e, 0x01, 0x02, 0x17, 0x80, 0x00, 0x0a,
	0x09, 0x10, 0x25, 0xa6, 0x18, 0x2e, 0xbc, 0x0d, 0xbe, 0x9e, 0x21, 0xd5,
	0x00, 0xfe, 0x21, 0xe7, 0xc6, 0x25, 0x5e, 0x6f, 0x2e, 0xe7, 0x30, 0x99,
	0xa9, 0xdd, 0x6e, 0xfa, 0x25, 0x07, 0x3c, 0xdb, 0xc0, 0x0a, 0x73, 0xee,
	0xc6, 0x0f, 0xb2, 0x06, 0x5e, 0xeb, 0xed, 0x0d, 0x44, 0x9b, 0x00, 0xfd,
	0x1c, 0xd5, 0x2a, 0x1f, 0x64, 0x41, 0xc8, 0x02, 0xfa, 0x44, 0x3c, 0xc0,
	0x8d, 0xaa, 0x04, 0x00, 0x5c, 0xb2, 0x23, 0x25, 0x60, 0xf1, 0x07, 0xd9,
	0x04, 0x91, 0x23, 0xd3, 0xa5, 0x4b, 0xca, 0x05, 0xb8, 0x38, 0x04, 0x6b,
	0x0f, 0x69, 0xba, 0x12, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x97, 0x55,
	0x01, 0x05, 0x01, 0x01, 0x07, 0x40, 0x93, 0x5c, 0x09, 0xd3, 0x11, 0xb6,
	0xf2, 0x07, 0x66, 0xfa, 0x22, 0xc7, 0xb6, 0x33, 0xf9, 0x67, 0xfc, 0xe0,
	0xb8, 0xfd, 0x67, 0x70, 0x82, 0xeb, 0x86, 0xa2, 0xf1, 0xb9, 0x89, 0x4a,
	0xef, 0x63, 0x03, 0x01, 0x08, 0x07, 0x88, 0x78, 0x04, 0x18, 0x16, 0x08,
	0x00, 0x20, 0x16, 0x21, 0x04, 0xd4, 0x3b, 0xcb, 0xcc, 0xa5, 0x3e, 0xf6,
	0x06, 0x97, 0xfc, 0x02, 0x3d, 0x25, 0xa6, 0x18, 0x2e, 0xbc, 0x0d, 0xbe,
	0x9e, 0x05, 0x02, 0x6b, 0x0f, 0x69, 0xba, 0x02, 0x1b, 0x0c, 0x00, 0x0a,
	0x09, 0x10, 0x25, 0xa6, 0x18, 0x2e, 0xbc, 0x0d, 0xbe, 0x9e, 0xfc, 0x67,
	0x01, 0x00, 0xb9, 0x6c, 0x44, 0x85, 0x41, 0xa6, 0x88, 0x5f, 0xbf, 0x7a,
	0x4b, 0x00, 0x4b, 0x50, 0xba, 0x19, 0x37, 0xd2, 0x49, 0x30, 0xd7, 0x14,
	0xca, 0x56, 0x7e, 0x8a, 0x55, 0x18, 0xbb, 0x81, 0x7b, 0xd7, 0x00, 0xff,
	0x50, 0xb2, 0x6a, 0x62, 0xdd, 0x1d, 0x7a, 0xe7, 0x6e, 0xa3, 0x38, 0xe4,
	0x65, 0x40, 0x10, 0xe0, 0xfd, 0xe6, 0x56, 0x4a, 0x1a, 0x6a, 0xf3, 0xbc,
	0x43, 0x09, 0x3c, 0x68, 0x3a, 0x57, 0x1f, 0x0d
};
static const unsigned char msg_gpg[] = {
	0x84, 0x5e, 0x03, 0x40, 0xf0, 0x1f, 0x69, 0x60, 0x6a, 0x24, 0x78, 0x12,
	0x01, 0x07, 0x40, 0x7c, 0xcb, 0xad, 0xa6, 0x98, 0xe3, 0x97, 0x96, 0x34,
	0x25, 0x71, 0xa4, 0x1f, 0x07, 0x34, 0x93, 0x8d, 0xa8, 0x23, 0xc7, 0x69,
	0x6d, 0x9a, 0x27, 0x13, 0x63, 0x66, 0x99, 0xed, 0xba, 0x35, 0x5d, 0x30,
	0x1d, 0xb4, 0xda, 0x3b, 0x1a, 0x1c, 0x75, 0xdb, 0x69, 0xef, 0xaf, 0x1a,
	0x44, 0x21, 0xc3, 0x6e, 0x78, 0x13, 0x79, 0x51, 0x16, 0xc4, 0x3d, 0xd7,
	0xe6, 0x55, 0xd4, 0xda, 0xbc, 0x97, 0xdc, 0x10, 0x96, 0x31, 0x50, 0xdb,
	0xb1, 0xc6, 0x3e, 0x79, 0x0b, 0xdf, 0xe2, 0xc2, 0x2d, 0xf5, 0x7c, 0x3a,
	0xd2, 0x37, 0x01, 0xf2, 0x57, 0xc0, 0x6c, 0xe7, 0xf4, 0x20, 0x67, 0x39,
	0x0f, 0x7e, 0x9d, 0xb0, 0x91, 0xa4, 0x4f, 0x98, 0x91, 0x38, 0xe8, 0x2f,
	0xf7, 0xc8, 0x18, 0x1f, 0x1e, 0x4d, 0xa6, 0xe4, 0xdb, 0x4f, 0x82, 0xd9,
	0x3b, 0xf6, 0x6f, 0x3f, 0x87, 0xde, 0x8d, 0x74, 0xaa, 0x77, 0x76, 0xa5,
	0x68, 0xe5, 0x4a, 0xb1, 0xda, 0x4d, 0x2d, 0x49, 0x51
};
static const unsigned char sym_gpg[] = {
	0x8c, 0x0d, 0x04, 0x09, 0x03, 0x02, 0x49, 0xbe, 0x59, 0x68, 0x70, 0x25,
	0xe8, 0x76, 0xff, 0xd2, 0x38, 0x01, 0x7d, 0x73, 0x20, 0x1b, 0xb7, 0x93,
	0x8c, 0x05, 0xc4, 0x22, 0xbf, 0x70, 0xee, 0x42, 0x0f, 0x59, 0x6d, 0x30,
	0x7b, 0xc5, 0x19, 0x03, 0x22, 0x67, 0x53, 0x02, 0xa6, 0x40, 0xd1, 0x68,
	0x85, 0xdd, 0x58, 0xb9, 0x76, 0xbb, 0x6d, 0xa3, 0xc0, 0x3f, 0x77, 0x32,
	0xa4, 0x84, 0x19, 0x5a, 0x5e, 0x01, 0x83, 0xe2, 0x67, 0x50, 0x04, 0xf4,
	0x43
};
static const unsigned char partial_gpg[] = {
	0x84, 0x5e, 0x03, 0x40, 0xf0, 0x1f, 0x69, 0x60, 0x6a, 0x24, 0x78, 0x12,
	0x01, 0x07, 0x40, 0x79, 0x65, 0x34, 0xf7, 0x5b, 0x83, 0xc4, 0x3a, 0x00,
	0x5d, 0x2f, 0xd5, 0x61, 0x0f, 0x15, 0x60, 0x38, 0x7f, 0x85, 0x02, 0x13,
	0x98, 0x37, 0x95, 0x73, 0x41, 0x4b, 0x04, 0x7d, 0x1a, 0xbe, 0x42, 0x30,
	0x6e, 0x8a, 0xe4, 0xda, 0x27, 0x47, 0x25, 0xd5, 0x8d, 0x1e, 0x3b, 0xb1,
	0xaf, 0x68, 0xf4, 0xf7, 0xdc, 0x12, 0x72, 0x81, 0x85, 0x6c, 0x24, 0x94,
	0x11, 0xeb, 0xc8, 0x08, 0xfb, 0x7a, 0x88, 0x5a, 0x43, 0x7d, 0x73, 0x9f,
	0xc5, 0xbe, 0x01, 0x26, 0xb0, 0x5e, 0x7a, 0x66, 0x64, 0x06, 0x84, 0xb5,
	0xd2, 0xe9, 0x01, 0x75, 0x0d, 0x36, 0xd6, 0xec, 0x16, 0xb4, 0xc0, 0xc0,
	0x5f, 0x86, 0x86, 0x23, 0x90, 0xba, 0xdd, 0xaa, 0x79, 0x05, 0x23, 0x93,
	0x5e, 0x13, 0xdb, 0x2c, 0x3d, 0xf1, 0x63, 0x2a, 0xcf, 0x7b, 0xc9, 0x75,
	0xbe, 0x8e, 0x0a, 0x4d, 0xe9, 0xdf, 0x35, 0x6a, 0x8b, 0xb7, 0xec, 0x6d,
	0x72, 0x90, 0xe8, 0x9d, 0x6f, 0x5d, 0x48, 0x7f, 0x06, 0xac, 0x9c, 0x3f,
	0xaf, 0xe7, 0xc8, 0x90, 0x53, 0x51, 0xd6, 0xa2, 0x24, 0xc3, 0x2c, 0xaf,
	0x3c, 0x7c, 0xcd, 0x7b, 0x47, 0xcf, 0xf7, 0xf8, 0xca, 0xa2, 0x10, 0x16,
	0x57, 0x3a, 0x58, 0xf7, 0x3d, 0xa3, 0x83, 0xc3, 0xc8, 0xed, 0xda, 0x64,
	0xb2, 0xf3, 0xcc, 0x83, 0x07, 0xf5, 0xc0, 0x03, 0x1b, 0xce, 0xea, 0x4a,
	0x02, 0x4d, 0x08, 0x18, 0xb6, 0xd2, 0xd0, 0x42, 0x8e, 0x58, 0xef, 0x5e,
	0x4b, 0xf9, 0xcb, 0x5b, 0x5c, 0xa7, 0x88, 0x48, 0xdd, 0xd1, 0x2d, 0xaf,
	0xe1, 0x37, 0xb4, 0x7f, 0xc7, 0xc3, 0xd0, 0xbc, 0x1f, 0x09, 0x6f, 0xd8,
	0x76, 0x2f, 0x3f, 0x7d, 0x41, 0x8c, 0xa3, 0x73, 0x8e, 0x74, 0x98, 0x10,
	0x35, 0x63, 0xbe, 0x94, 0xf8, 0x83, 0x78, 0xf4, 0x73, 0xe3, 0xf2, 0x3b,
	0x63, 0x45, 0x76, 0xdd, 0x56, 0x7b, 0x32, 0xec, 0x26, 0x89, 0x02, 0x83,
	0xe8, 0xb2, 0xba, 0x7d, 0x53, 0xff, 0x79, 0x0b, 0x8b, 0x32, 0xfa, 0xee,
	0x20, 0x5d, 0x5c, 0x21, 0xd8, 0xb2, 0x76, 0x35, 0x08, 0x57, 0x31, 0x40,
	0x58, 0x36, 0x9b, 0xcf, 0x1f, 0x9e, 0x60, 0xff, 0x74, 0xf2, 0x0d, 0xcf,
	0x44, 0x60, 0x75, 0x63, 0xba, 0xa8, 0xa6, 0x62, 0xfc, 0xe3, 0x33, 0x9f,
	0xa9, 0xd9, 0x8f, 0x82, 0x49, 0x29, 0xcf, 0xfb, 0x94, 0x88, 0xcf, 0xab,
	0x03, 0x2b, 0x53, 0xa9, 0x73, 0x22, 0x93, 0x81, 0xa2, 0xb3, 0x33, 0xe7,
	0x8d, 0xc0, 0x6b, 0xb2, 0x0b, 0x40, 0x22, 0x52, 0x59, 0x3e, 0xd4, 0x5e,
	0xb9, 0xd0, 0xeb, 0x0a, 0xb2, 0x0f, 0x6c, 0x4d, 0x00, 0x87, 0x0f, 0x7f,
	0x4e, 0x6a, 0xbd, 0xea, 0x45, 0x48, 0xf8, 0xad, 0xaa, 0x94, 0x4a, 0x2b,
	0x8f, 0x68, 0x6a, 0xf2, 0x99, 0xe5, 0x28, 0x20, 0x1d, 0x56, 0x6d, 0x61,
	0xbf, 0x4e, 0x53, 0x85, 0xbb, 0xe0, 0xc5, 0x6c, 0xbd, 0xb5, 0x70, 0xcc,
	0x62, 0xd1, 0xae, 0xef, 0x02, 0xdc, 0xb2, 0xca, 0x72, 0x11, 0x3d, 0x62,
	0x41, 0x8f, 0x3f, 0xeb, 0xad, 0x1c, 0x48, 0x55, 0xb2, 0xa5, 0x36, 0x12,
	0x7c, 0x39, 0xf4, 0x75, 0xd6, 0xe5, 0xd9, 0x22, 0x16, 0x16, 0x4b, 0xb4,
	0x9f, 0xc9, 0x85, 0xef, 0xdb, 0xa7, 0xe9, 0xb9, 0xcd, 0xb5, 0xcc, 0xe1,
	0xa9, 0xec, 0xc7, 0xe8, 0x5d, 0x65, 0xe2, 0x4d, 0x29, 0x39, 0x2d, 0x06,
	0xc5, 0x97, 0x3d, 0xf0, 0x98, 0xa3, 0x17, 0x14, 0xff, 0x4a, 0xd0, 0x64,
	0x6a, 0x7d, 0x42, 0x12, 0xec, 0x7f, 0x19, 0x3d, 0x1e, 0x5f, 0x0c, 0x10,
	0x89, 0x17, 0x92, 0xf4, 0xe9, 0xd5, 0x6f, 0x08, 0x68, 0x8e, 0xe5, 0x10,
	0xc2, 0xb6, 0xf2, 0x21, 0xb0, 0xeb, 0xae, 0xd8, 0x62, 0xa8, 0xad, 0x44,
	0x2b, 0x6a, 0xd1, 0xea, 0x50, 0x3b, 0x49, 0x82, 0x43, 0xcb, 0xdc, 0x09,
	0x6d, 0xd8, 0xd8, 0xc7, 0x22, 0xce, 0xbf, 0xa9, 0x92, 0x16, 0x0e, 0x6a,
	0x53, 0xc6, 0xa8, 0x95, 0xbb, 0x74, 0x95, 0xa6, 0x98, 0x1a, 0x48, 0x6a,
	0x2c, 0xbe, 0xc2, 0xc0, 0x1e, 0xd3, 0x6f, 0xc8, 0x24, 0x96, 0xff, 0x20,
	0x83, 0xf7, 0x99, 0x66, 0x2d, 0x27, 0x36, 0x38, 0x03, 0xf9, 0x45, 0xe8,
	0x0b, 0x4d, 0x49, 0xcd, 0x6a, 0xee, 0x11, 0x52, 0xcb, 0xe2, 0xf9, 0x48,
	0x05, 0x27, 0x37, 0x4a, 0x7f, 0xed, 0x2d, 0x7c, 0x3a, 0x63, 0xd4, 0xaf,
	0xcb, 0x99, 0xe1, 0xff, 0x28, 0xa7, 0xcf, 0x94, 0x20, 0xa7, 0x8a, 0x87,
	0x1d, 0x9b, 0xb4, 0x97, 0x15, 0x89, 0xfa, 0xea, 0x4b, 0x18, 0xcb, 0x9a,
	0xef, 0xd5, 0x11, 0x86, 0x1b, 0xb8, 0x17, 0x7d, 0x5b, 0xd6, 0xe9, 0xe0,
	0x33, 0xc1, 0x6d, 0xff, 0x60, 0xd6, 0xe1, 0x2c, 0x36, 0x8c, 0x32, 0x89,
	0x06, 0xee, 0x70, 0xd6, 0xa4, 0xcb, 0xe2, 0xf5, 0xeb, 0x2f, 0x60, 0x66,
	0x08, 0xe5, 0xe4, 0x97, 0x5d, 0xd9, 0xfb, 0x7a, 0x71, 0xab, 0x34, 0xde,
	0x4f, 0x19, 0x84, 0x27, 0x5c, 0x99, 0xda, 0x35, 0xf4, 0x67, 0x3b, 0x11,
	0xac, 0x13, 0x7f, 0x2a, 0x9d, 0xf1, 0xa5, 0x35, 0xea, 0x15, 0xaf, 0x70,
	0xdb, 0x90, 0x25, 0xf3, 0x29, 0x9e, 0xf7, 0x46, 0x29, 0x5b, 0x10, 0xbe,
	0x70, 0x0a, 0x49, 0xa2, 0xbe, 0xe5, 0x33, 0x55, 0x63, 0x10, 0x19, 0x43,
	0xf4, 0x3b, 0x94, 0x17, 0x4a, 0x74, 0xa2, 0x30, 0x22, 0x6f, 0x44, 0x11,
	0xcb, 0xd6, 0xb4, 0x8c, 0x39, 0x37, 0x33, 0xee, 0x0a, 0xa1, 0x0d, 0x73,
	0x9a, 0x49, 0xb1, 0x4b, 0x63
};
static const unsigned char signed_gpg[] = {
	0xa3, 0x01, 0x9b, 0xc0, 0xcb, 0xcc, 0xc0, 0x21, 0xa6, 0xba, 0x4c, 0x42,
	0x6f, 0x0f, 0xef, 0xbe, 0x79, 0x8c, 0xa7, 0x39, 0x93, 0x18, 0xb2, 0xf9,
	0x33, 0x77, 0x67, 0x64, 0x72, 0x75, 0x94, 0xb2, 0x30, 0x88, 0x71, 0x30,
	0xc8, 0x8a, 0x29, 0xb2, 0x5c, 0xb1, 0x3e, 0x7d, 0x66, 0xa9, 0xdd, 0x37,
	0xb6, 0xe9, 0x7f, 0x98, 0x6c, 0x61, 0x4a, 0x59, 0x99, 0x40, 0xea, 0x18,
	0xb8, 0x38, 0x05, 0x60, 0x22, 0x66, 0x07, 0x19, 0xfe, 0xca, 0xff, 0x39,
	0xbd, 0x7d, 0x7f, 0x57, 0x47, 0x76, 0xe6, 0x56, 0xd1, 0xdf, 0x1f, 0xcd,
	0x72, 0x7d, 0x67, 0x05, 0xce, 0x5e, 0x35, 0x81, 0x23, 0xc3, 0x6d, 0xea,
	0x95, 0x79, 0x9e, 0xc7, 0x35, 0x6d, 0x18, 0x18, 0x19, 0x36, 0xd7, 0x0a,
	0xda, 0xef, 0x10, 0xf9, 0xf6, 0xa7, 0xa0, 0xfe, 0x68, 0xc6, 0x9c, 0x37,
	0x71, 0xa2, 0x3b, 0x32, 0x8e, 0xb4, 0xf0, 0x70, 0x47, 0x47, 0xb8, 0x89,
	0x4f, 0x0c, 0x5a, 0xe3, 0xd0, 0xc9, 0x08, 0x00
};
static const unsigned char literal_gpg[] = {
	0xcb, 0x09, 0x62, 0x00, 0x6b, 0x0f, 0x69, 0xbb, 0x68, 0x69, 0x0a
};

/* --- a byte builder for hand-made inputs --------------------------------- */

struct bytes {
	unsigned char *p;
	size_t n, cap;
};

static void
add(struct bytes *b, const void *p, size_t n)
{
	if (b->n + n > b->cap) {
		size_t cap = (b->n + n) * 2 + 64;
		unsigned char *q = realloc(b->p, cap);

		if (!q)
			BAIL_OUT("out of memory");
		b->p = q;
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->n, p, n);
	b->n += n;
}

static void
add_octet(struct bytes *b, unsigned int c)
{
	unsigned char o = (unsigned char)c;

	add(b, &o, 1);
}

/* A new-format length (RFC 9580 4.2.1.1-4.2.1.3) of LEN. */
static void
add_length(struct bytes *b, size_t len)
{
	if (len < 192) {
		add_octet(b, (unsigned int)len);
	} else if (len < 8384) {
		add_octet(b, (unsigned int)(((len - 192) >> 8) + 192));
		add_octet(b, (unsigned int)((len - 192) & 0xff));
	} else {
		add_octet(b, 255);
		add_octet(b, (unsigned int)(len >> 24));
		add_octet(b, (unsigned int)(len >> 16));
		add_octet(b, (unsigned int)(len >> 8));
		add_octet(b, (unsigned int)len);
	}
}

/* A new-format packet of type TAG: FIRST, then LEN - 1 octets 'x'. */
static void
add_packet(struct bytes *b, unsigned int tag, size_t len, unsigned int first)
{
	size_t i;

	add_octet(b, 0xc0 | tag);
	add_length(b, len);
	for (i = 0; i < len; i++)
		add_octet(b, i == 0 ? first : 'x');
}

static void
bytes_free(struct bytes *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* --- the walker ------------------------------------------------------- */

/* The events of a walk as text: "TAG:LENGTH[o][p][i]" per packet. */
struct trace {
	char s[2048];
	unsigned long long body;	/* body octets of the current packet */
	int open;			/* a START without its END */
	int bad;			/* the events broke their own rules */
};

static enum getk_err
trace_fn(void *arg, enum getk_packet_event ev, const struct getk_packet *pkt,
    const unsigned char *p, size_t len)
{
	struct trace *t = arg;
	size_t n = strlen(t->s);

	(void)p;
	switch (ev) {
	case GETK_PACKET_START:
		if (t->open || pkt->length != 0)
			t->bad = 1;
		t->open = 1;
		t->body = 0;
		break;
	case GETK_PACKET_BODY:
		t->body += len;
		if (!t->open || len == 0 || pkt->length != t->body)
			t->bad = 1;
		break;
	case GETK_PACKET_END:
		if (!t->open || pkt->length != t->body)
			t->bad = 1;
		t->open = 0;
		snprintf(t->s + n, sizeof(t->s) - n, "%s%u:%llu%s%s%s",
		    n ? " " : "", pkt->tag, pkt->length, pkt->legacy ? "o" : "",
		    pkt->partial ? "p" : "", pkt->indeterminate ? "i" : "");
		break;
	}
	return GETK_OK;
}

/*
 * Walks LEN octets at IN in pieces of STEP octets (0: whole); the error,
 * with the events in T and the framing error in *R_WHY.
 */
static enum getk_err
walk(const unsigned char *in, size_t len, size_t step, struct trace *t,
    const char **r_why)
{
	struct getk_packet_walker *w = NULL;
	size_t off = 0, n;
	enum getk_err err;

	memset(t, 0, sizeof(*t));
	*r_why = NULL;
	if (getk_packet_walker_new(trace_fn, t, &w))
		BAIL_OUT("out of memory");
	err = GETK_OK;
	while (!err && off < len) {
		n = step && len - off > step ? step : len - off;
		err = getk_packet_walk(w, in + off, n);
		off += n;
	}
	if (!err)
		err = getk_packet_walk_end(w);
	if (getk_packet_walker_why(w))
		*r_why = getk_packet_walker_why(w);
	/* A spent walker refuses whatever comes next. */
	if (err && getk_packet_walk(w, (const unsigned char *)"\xcd\x00", 2) !=
	    GETK_ERR_SYNTAX)
		t->bad = 1;
	getk_packet_walker_free(w);
	return err;
}

/* Walks IN three ways; checks the error and the events (or the why). */
static void
walk_is(const char *name, const unsigned char *in, size_t len,
    enum getk_err want, const char *want_trace)
{
	static const size_t steps[] = { 0, 1, 7 };
	struct trace t;
	const char *why;
	size_t i;
	enum getk_err err;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		err = walk(in, len, steps[i], &t, &why);
		CHECK_INT(err, want, "walk %s (pieces of %zu): result", name,
		    steps[i]);
		CHECK(!t.bad, "walk %s (pieces of %zu): events in order", name,
		    steps[i]);
		if (want == GETK_OK)
			CHECK_STR(t.s, want_trace, "walk %s (pieces of %zu): "
			    "packets", name, steps[i]);
		else if (!CHECK(why && strstr(why, want_trace), "walk %s "
		    "(pieces of %zu): says \"%s\"", name, steps[i],
		    want_trace))
			DIAG("why: %s", why ? why : "(none)");
	}
}

struct walk_case {
	const char *name;
	const char *in;
	size_t len;
	enum getk_err err;
	const char *want;	/* the packets, or a part of the why */
};

#define CASE(name, lit, err, want) { name, lit, sizeof(lit) - 1, err, want }

static const struct walk_case walk_cases[] = {
	CASE("empty input", "", GETK_OK, ""),
	CASE("new format, one-octet length", "\xcd\x03" "abc", GETK_OK,
	    "13:3"),
	CASE("new format, empty body", "\xcd\x00", GETK_OK, "13:0"),
	CASE("new format, five-octet length", "\xcd\xff\x00\x00\x00\x02" "ab",
	    GETK_OK, "13:2"),
	CASE("old format, one-octet length", "\xb4\x03" "abc", GETK_OK,
	    "13:3o"),
	CASE("old format, two-octet length", "\xb5\x00\x03" "abc", GETK_OK,
	    "13:3o"),
	CASE("old format, four-octet length", "\xb6\x00\x00\x00\x03" "abc",
	    GETK_OK, "13:3o"),
	CASE("old format, indeterminate compressed data", "\xa3\x01" "xyz",
	    GETK_OK, "8:4oi"),
	CASE("old format, indeterminate and empty", "\xa3", GETK_OK, "8:0oi"),
	CASE("two packets, new then old", "\xcd\x01" "a" "\x88\x00", GETK_OK,
	    "13:1 2:0o"),
	CASE("new format type 63", "\xff\x00", GETK_OK, "63:0"),
	CASE("bit 7 clear (armor, not packets)", "-----BEGIN PGP", GETK_ERR_SYNTAX,
	    "bit 7"),
	CASE("reserved type 0, new format", "\xc0\x00", GETK_ERR_SYNTAX,
	    "reserved"),
	CASE("reserved type 0, old format", "\x80\x00", GETK_ERR_SYNTAX,
	    "reserved"),
	CASE("indeterminate length on a User ID", "\xb7" "abc",
	    GETK_ERR_SYNTAX, "indeterminate length"),
	CASE("partial length on a User ID", "\xcd\xe9", GETK_ERR_SYNTAX,
	    "partial body length on a packet"),
	CASE("partial length on a signature", "\xc2\xea", GETK_ERR_SYNTAX,
	    "partial body length on a packet"),
	CASE("first partial length of 1", "\xcb\xe0" "a" "\x00",
	    GETK_ERR_SYNTAX, "under 512"),
	CASE("first partial length of 256", "\xcb\xe8", GETK_ERR_SYNTAX,
	    "under 512"),
	CASE("cut after the type octet", "\xcd", GETK_ERR_SYNTAX,
	    "ends inside"),
	CASE("cut inside a two-octet length", "\xcd\xc0", GETK_ERR_SYNTAX,
	    "ends inside"),
	CASE("cut inside a five-octet length", "\xcd\xff\x00\x00",
	    GETK_ERR_SYNTAX, "ends inside"),
	CASE("cut inside an old four-octet length", "\xb6\x00\x00",
	    GETK_ERR_SYNTAX, "ends inside"),
	CASE("body cut short", "\xcd\x05" "abc", GETK_ERR_SYNTAX,
	    "ends inside"),
	CASE("a stray octet after a packet", "\xcd\x01" "a" "\x01",
	    GETK_ERR_SYNTAX, "bit 7"),
};

static void
test_walker(void)
{
	struct bytes b = { NULL, 0, 0 };
	size_t i;

	for (i = 0; i < sizeof(walk_cases) / sizeof(walk_cases[0]); i++)
		walk_is(walk_cases[i].name, (const unsigned char *)walk_cases[i].in,
		    walk_cases[i].len, walk_cases[i].err, walk_cases[i].want);

	/* gpg's own packets. */
	walk_is("gpg's key export", key_gpg, sizeof(key_gpg), GETK_OK,
	    "6:51o 13:23o 2:144o 14:56o 2:120o");
	walk_is("gpg's encrypted message", msg_gpg, sizeof(msg_gpg), GETK_OK,
	    "1:94o 18:55");
	walk_is("gpg's streamed message (partial lengths)", partial_gpg,
	    sizeof(partial_gpg), GETK_OK, "1:94o 18:650p");
	walk_is("gpg's symmetric message", sym_gpg, sizeof(sym_gpg), GETK_OK,
	    "3:13o 18:56");
	walk_is("gpg's signed message", signed_gpg, sizeof(signed_gpg), GETK_OK,
	    "8:139oi");
	walk_is("gpg's literal data", literal_gpg, sizeof(literal_gpg), GETK_OK,
	    "11:9");
	walk_is("gpg's key cut by one octet", key_gpg, sizeof(key_gpg) - 1,
	    GETK_ERR_SYNTAX, "ends inside");

	/* The edges of the two-octet length. */
	add_packet(&b, 13, 191, 'x');
	add_packet(&b, 13, 192, 'x');
	add_packet(&b, 13, 8383, 'x');
	add_packet(&b, 13, 8384, 'x');
	walk_is("lengths 191, 192, 8383, 8384", b.p, b.n, GETK_OK,
	    "13:191 13:192 13:8383 13:8384");
	bytes_free(&b);

	/* Partial lengths: 512, then 1 (any power of two may follow the
	 * first), then a two-octet final length of 200. */
	add(&b, "\xcb\xe9", 2);
	for (i = 0; i < 512; i++)
		add_octet(&b, 'a');
	add_octet(&b, 0xe0);
	add_octet(&b, 'b');
	add_length(&b, 200);
	for (i = 0; i < 200; i++)
		add_octet(&b, 'c');
	walk_is("partial 512 + 1 + 200", b.p, b.n, GETK_OK, "11:713p");
	/* A final chunk of zero and a five-octet one are lengths too. */
	b.n = 514;
	add(&b, "\x00", 1);
	add_packet(&b, 2, 0, 0);
	walk_is("partial 512 + final 0, then a packet", b.p, b.n, GETK_OK,
	    "11:512p 2:0");
	b.n = 514;
	add(&b, "\xff\x00\x00\x00\x01" "z", 6);
	walk_is("partial 512 + five-octet final 1", b.p, b.n, GETK_OK,
	    "11:513p");
	b.n = 514;
	walk_is("partial lengths cut after a chunk", b.p, b.n, GETK_ERR_SYNTAX,
	    "ends inside");
	bytes_free(&b);
}

/* --- the key check ------------------------------------------------------ */

static void
key_is(const char *name, const unsigned char *in, size_t len,
    enum getk_err want, const char *want_why)
{
	char why[256];
	enum getk_err err;

	err = getk_packet_check_key(in, len, why, sizeof(why));
	CHECK_INT(err, want, "key check: %s", name);
	if (want == GETK_OK)
		CHECK_STR(why, "", "key check: %s: no reason", name);
	else if (!CHECK(strstr(why, want_why) != NULL, "key check: %s: says "
	    "\"%s\"", name, want_why))
		DIAG("why: %s", why);
}

/* gpg's key with a packet of type TAG (body BODY) inserted at OFF. */
static void
key_with(struct bytes *b, size_t off, unsigned int tag, size_t len,
    unsigned int first)
{
	b->n = 0;
	add(b, key_gpg, off);
	add_packet(b, tag, len, first);
	add(b, key_gpg + off, sizeof(key_gpg) - off);
}

/*
 * gpg's key up to its first signature (a public key and a User ID), then
 * COUNT packets of type TAG (1 octet, FIRST): a key at a limit, which
 * passes; then one packet more, which is over it (WANT).
 */
static void
limit_is(const char *what, unsigned int tag, unsigned int first,
    size_t count, const char *want)
{
	struct bytes b = { NULL, 0, 0 };
	size_t i;

	add(&b, key_gpg, 78);
	for (i = 0; i < count; i++)
		add_packet(&b, tag, tag == 14 ? 0 : 1, first);
	key_is(what, b.p, b.n, GETK_OK, NULL);
	add_packet(&b, tag, tag == 14 ? 0 : 1, first);
	key_is(what, b.p, b.n, GETK_ERR_TOOBIG, want);
	bytes_free(&b);
}

/* Offsets of the packets of key_gpg. */
#define KEY_UID_AT 53
#define KEY_SUB_AT 224

static void
test_key(void)
{
	static const struct {
		unsigned int tag;
		const char *name;
	} alien[] = {
		{ 1, "public-key encrypted session key" },
		{ 3, "symmetric-key encrypted session key" },
		{ 4, "one-pass signature" },
		{ 5, "secret key" },
		{ 7, "secret subkey" },
		{ 8, "compressed data" },
		{ 9, "symmetrically encrypted data" },
		{ 10, "marker" },
		{ 11, "literal data" },
		{ 12, "trust" },
		{ 18, "integrity protected encrypted data" },
		{ 19, "modification detection code" },
		{ 20, "AEAD encrypted data" },
		{ 21, "padding" },
		{ 15, "unknown" },
		{ 60, "private or experimental" },
	};
	struct bytes b = { NULL, 0, 0 };
	size_t i;
	char want[128];

	key_is("gpg's export", key_gpg, sizeof(key_gpg), GETK_OK, NULL);
	add(&b, key_gpg, sizeof(key_gpg));
	add(&b, key_gpg, sizeof(key_gpg));
	add(&b, key_gpg, KEY_SUB_AT);
	key_is("three keys, the last without subkeys", b.p, b.n, GETK_OK, NULL);
	bytes_free(&b);

	/* A compressed packet holding copies of a User ID: the bomb. */
	add(&b, key_gpg, KEY_UID_AT);
	add(&b, "\xa3\x03" "BZh91AY&SY", 12);
	key_is("a compressed packet after the public key", b.p, b.n,
	    GETK_ERR_SYNTAX, "a compressed data packet (type 8) at octet 53");
	b.n = 0;
	add(&b, key_gpg, KEY_SUB_AT);
	add(&b, "\xc8\x04\x03" "BZh", 6);
	add(&b, key_gpg + KEY_SUB_AT, sizeof(key_gpg) - KEY_SUB_AT);
	key_is("a compressed packet between User ID and subkey", b.p, b.n,
	    GETK_ERR_SYNTAX, "compressed data packet (type 8) at octet 224");

	for (i = 0; i < sizeof(alien) / sizeof(alien[0]); i++) {
		key_with(&b, KEY_SUB_AT, alien[i].tag, 20, 1);
		snprintf(want, sizeof(want), "a %s packet (type %u) at octet "
		    "%d, which no public key holds", alien[i].name,
		    alien[i].tag, KEY_SUB_AT);
		key_is(alien[i].name, b.p, b.n, GETK_ERR_SYNTAX, want);
	}
	/* A literal packet with partial lengths is still refused as such:
	 * partial lengths are allowed on data packets by the framing. */
	b.n = 0;
	add(&b, key_gpg, sizeof(key_gpg));
	add(&b, literal_gpg, sizeof(literal_gpg));
	key_is("literal data after a key", b.p, b.n, GETK_ERR_SYNTAX,
	    "literal data packet (type 11) at octet 404");
	b.n = 0;
	add(&b, key_gpg, sizeof(key_gpg));
	add(&b, msg_gpg, sizeof(msg_gpg));
	key_is("an encrypted message after a key", b.p, b.n, GETK_ERR_SYNTAX,
	    "public-key encrypted session key packet (type 1) at octet 404");
	key_is("an encrypted message", msg_gpg, sizeof(msg_gpg),
	    GETK_ERR_SYNTAX, "type 1) at octet 0");
	key_is("a signed message", signed_gpg, sizeof(signed_gpg),
	    GETK_ERR_SYNTAX, "compressed data packet (type 8) at octet 0");

	/* The order of the grammar. */
	key_is("a signature first", key_gpg + 78, sizeof(key_gpg) - 78,
	    GETK_ERR_SYNTAX, "signature packet (type 2) at octet 0 before any "
	    "public key packet");
	key_is("a User ID first", key_gpg + KEY_UID_AT,
	    sizeof(key_gpg) - KEY_UID_AT, GETK_ERR_SYNTAX,
	    "User ID packet (type 13) at octet 0 before any public key");
	key_is("a public key alone", key_gpg, KEY_UID_AT, GETK_ERR_SYNTAX,
	    "the public key packet at octet 0 has no User ID");
	b.n = 0;
	add(&b, key_gpg, 78);
	add(&b, key_gpg, sizeof(key_gpg));
	key_is("a second key while the first has no signature yet", b.p, b.n,
	    GETK_OK, NULL);
	b.n = 0;
	add(&b, key_gpg, KEY_UID_AT);
	add(&b, key_gpg, sizeof(key_gpg));
	key_is("a public key without a User ID, then a key", b.p, b.n,
	    GETK_ERR_SYNTAX, "public key packet (type 6) at octet 53 before "
	    "any User ID of its key");
	b.n = 0;
	add(&b, key_gpg, KEY_UID_AT);
	add(&b, key_gpg + KEY_SUB_AT, sizeof(key_gpg) - KEY_SUB_AT);
	key_is("a subkey before any User ID", b.p, b.n, GETK_ERR_SYNTAX,
	    "public subkey packet (type 14) at octet 53 before any User ID");
	key_with(&b, sizeof(key_gpg), 13, 10, 'a');
	key_is("a User ID after the subkeys", b.p, b.n, GETK_ERR_SYNTAX,
	    "User ID packet (type 13) at octet 404 after the subkeys");
	key_with(&b, 78, 17, 10, 1);
	key_is("a User Attribute among the User IDs", b.p, b.n, GETK_OK, NULL);
	key_with(&b, KEY_UID_AT, 2, 10, 4);
	key_is("a signature on the primary key", b.p, b.n, GETK_OK, NULL);
	key_is("random octets", (const unsigned char *)"\x2e\x91\x07", 3,
	    GETK_ERR_SYNTAX, "bit 7 set (not OpenPGP packet data) at octet 0");
	key_is("nothing", (const unsigned char *)"", 0, GETK_ERR_SYNTAX,
	    "no OpenPGP packets");
	key_is("a key cut short", key_gpg, sizeof(key_gpg) - 3,
	    GETK_ERR_SYNTAX, "ends inside a packet at octet 282");
	b.n = 0;
	add(&b, key_gpg, 78);
	add(&b, "\xc2\xe9", 2);
	key_is("a signature in partial lengths", b.p, b.n, GETK_ERR_SYNTAX,
	    "partial body length on a packet that is not a data packet at "
	    "octet 78");

	/* The limits. */
	limit_is("User IDs and Attributes in a key", 13, 'a',
	    GETK_KEY_MAX_KEY_USERIDS - 1, "more than 64 User ID and User "
	    "Attribute packets in the key at octet 0");
	limit_is("signatures", 2, 4, GETK_KEY_MAX_SIGS,
	    "more than 2048 signature packets");
	limit_is("packets", 14, 0, GETK_KEY_MAX_PACKETS - 2,
	    "more than 4096 packets");
	b.n = 0;
	for (i = 0; i < GETK_KEY_MAX_USERIDS / GETK_KEY_MAX_KEY_USERIDS; i++) {
		size_t k;

		add(&b, key_gpg, KEY_UID_AT);
		for (k = 0; k < GETK_KEY_MAX_KEY_USERIDS; k++)
			add_packet(&b, 13, 1, 'a');
	}
	key_is("as many User IDs in all keys as allowed", b.p, b.n, GETK_OK,
	    NULL);
	add(&b, key_gpg, KEY_UID_AT);
	add_packet(&b, 13, 1, 'a');
	key_is("one User ID too many in all keys", b.p, b.n, GETK_ERR_TOOBIG,
	    "more than 1024 User ID and User Attribute packets");

	b.n = 0;
	add(&b, key_gpg, 78);
	add_packet(&b, 17, GETK_KEY_MAX_OCTETS - 78 - 6, 1);
	key_is("as many octets as allowed", b.p, b.n, GETK_OK, NULL);
	add_octet(&b, 0xc2);
	key_is("one octet too many", b.p, b.n, GETK_ERR_TOOBIG,
	    "larger than 262144 octets");
	bytes_free(&b);
}

/* --- the message check -------------------------------------------------- */

/* Checks IN whole, and fed one octet at a time. */
static void
msg_is(const char *name, const unsigned char *in, size_t len,
    enum getk_err want, const char *want_why)
{
	struct getk_packet_msg *m = NULL;
	char why[256];
	size_t i;
	enum getk_err err;

	err = getk_packet_check_message(in, len, why, sizeof(why));
	CHECK_INT(err, want, "message check: %s", name);
	if (want == GETK_OK)
		CHECK_STR(why, "", "message check: %s: no reason", name);
	else if (!CHECK(strstr(why, want_why) != NULL, "message check: %s: "
	    "says \"%s\"", name, want_why))
		DIAG("why: %s", why);

	if (getk_packet_msg_new(&m))
		BAIL_OUT("out of memory");
	for (err = GETK_OK, i = 0; !err && i < len; i++)
		err = getk_packet_msg_feed(m, in + i, 1);
	if (!err)
		err = getk_packet_msg_end(m);
	CHECK_INT(err, want, "message check: %s, octet by octet", name);
	CHECK(want == GETK_OK ? getk_packet_msg_why(m) == NULL :
	    getk_packet_msg_why(m) && strcmp(getk_packet_msg_why(m), why) == 0,
	    "message check: %s, octet by octet: the same reason", name);
	getk_packet_msg_free(m);
}

static void
test_message(void)
{
	static const struct {
		const char *name;
		unsigned int tag, first;
		int ok;
	} versions[] = {
		{ "symmetrically encrypted data (no version)", 9, 0x55, 1 },
		{ "SEIPD version 1", 18, 1, 1 },
		{ "SEIPD version 2", 18, 2, 1 },
		{ "SEIPD version 3", 18, 3, 0 },
		{ "AEAD version 1", 20, 1, 1 },
		{ "AEAD version 2", 20, 2, 0 },
		{ "PKESK version 3", 1, 3, 1 },
		{ "PKESK version 4", 1, 4, 0 },
		{ "PKESK version 6", 1, 6, 1 },
		{ "SKESK version 3", 3, 3, 0 },
		{ "SKESK version 4", 3, 4, 1 },
		{ "SKESK version 7", 3, 7, 0 },
	};
	struct bytes b = { NULL, 0, 0 };
	size_t i;

	msg_is("gpg's message to a key", msg_gpg, sizeof(msg_gpg), GETK_OK,
	    NULL);
	msg_is("gpg's streamed message", partial_gpg, sizeof(partial_gpg),
	    GETK_OK, NULL);
	msg_is("gpg's symmetric message", sym_gpg, sizeof(sym_gpg), GETK_OK,
	    NULL);
	msg_is("gpg's signed message (clear text, compressed)", signed_gpg,
	    sizeof(signed_gpg), GETK_ERR_SYNTAX, "a compressed data packet "
	    "(type 8) at octet 0 where an encrypted message has none");
	msg_is("gpg's literal data", literal_gpg, sizeof(literal_gpg),
	    GETK_ERR_SYNTAX, "a literal data packet (type 11) at octet 0");
	msg_is("a key", key_gpg, sizeof(key_gpg), GETK_ERR_SYNTAX,
	    "a public key packet (type 6) at octet 0");
	msg_is("nothing", (const unsigned char *)"", 0, GETK_ERR_SYNTAX,
	    "no encrypted data packet");
	msg_is("the session key alone", msg_gpg, 96, GETK_ERR_SYNTAX,
	    "no encrypted data packet");
	msg_is("the encrypted data alone", msg_gpg + 96, sizeof(msg_gpg) - 96,
	    GETK_ERR_SYNTAX, "integrity protected encrypted data packet "
	    "(type 18) at octet 0 without a session key packet before it");
	msg_is("a message cut short", msg_gpg, sizeof(msg_gpg) - 1,
	    GETK_ERR_SYNTAX, "the data ends inside a packet at octet 96");
	msg_is("a streamed message cut short", partial_gpg,
	    sizeof(partial_gpg) - 200, GETK_ERR_SYNTAX, "ends inside");

	/* Markers, and two sorts of session key. */
	add(&b, "\xca\x03" "PGP", 5);
	add(&b, sym_gpg, 15);
	add(&b, "\xa8\x03" "PGP", 5);
	add(&b, msg_gpg, sizeof(msg_gpg));
	msg_is("markers among SKESK and PKESK", b.p, b.n, GETK_OK, NULL);
	b.n = 0;
	add(&b, "\xca\x03" "PGQ", 5);
	add(&b, msg_gpg, sizeof(msg_gpg));
	msg_is("a marker that does not say PGP", b.p, b.n, GETK_ERR_SYNTAX,
	    "a marker packet (type 10) at octet 0 that does not hold");
	b.n = 0;
	add(&b, "\xca\x04" "PGPP", 6);
	add(&b, msg_gpg, sizeof(msg_gpg));
	msg_is("a marker too long", b.p, b.n, GETK_ERR_SYNTAX,
	    "that does not hold");

	/* Nothing after the encrypted data. */
	b.n = 0;
	add(&b, msg_gpg, sizeof(msg_gpg));
	add(&b, literal_gpg, sizeof(literal_gpg));
	msg_is("literal data after the encrypted data", b.p, b.n,
	    GETK_ERR_SYNTAX, "a literal data packet (type 11) at octet 153 "
	    "after the encrypted data");
	b.n = 0;
	add(&b, msg_gpg, sizeof(msg_gpg));
	add(&b, msg_gpg + 96, sizeof(msg_gpg) - 96);
	msg_is("a second encrypted data packet", b.p, b.n, GETK_ERR_SYNTAX,
	    "after the encrypted data");
	b.n = 0;
	add(&b, msg_gpg, sizeof(msg_gpg));
	add(&b, "\xca\x03" "PGP", 5);
	msg_is("a marker after the encrypted data", b.p, b.n, GETK_ERR_SYNTAX,
	    "a marker packet (type 10) at octet 153 after the encrypted data");
	b.n = 0;
	add(&b, msg_gpg, sizeof(msg_gpg));
	add(&b, "\n", 1);
	msg_is("a stray octet after the message", b.p, b.n, GETK_ERR_SYNTAX,
	    "bit 7 set (not OpenPGP packet data) at octet 153");

	/* Versions and the other encrypted data packets: one hand-made
	 * packet of type TAG, LEN octets from FIRST, as the session key
	 * (then gpg's SEIPD follows) or as the data (after gpg's PKESK). */
	for (i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		b.n = 0;
		if (versions[i].tag == 1 || versions[i].tag == 3) {
			add_packet(&b, versions[i].tag, 30, versions[i].first);
			add(&b, msg_gpg + 96, sizeof(msg_gpg) - 96);
		} else {
			add(&b, msg_gpg, 96);
			add_packet(&b, versions[i].tag, 30, versions[i].first);
		}
		msg_is(versions[i].name, b.p, b.n, versions[i].ok ? GETK_OK :
		    GETK_ERR_SYNTAX, versions[i].ok ? NULL :
		    "of a version this check does not know");
	}
	b.n = 0;
	add_packet(&b, 1, 40, 6);
	add_packet(&b, 3, 20, 5);
	add_packet(&b, 3, 20, 6);
	add(&b, msg_gpg + 96, sizeof(msg_gpg) - 96);
	msg_is("PKESK 6, SKESK 5 and 6", b.p, b.n, GETK_OK, NULL);
	b.n = 0;
	add(&b, msg_gpg, 96);
	add_packet(&b, 18, 0, 0);
	msg_is("empty encrypted data", b.p, b.n, GETK_ERR_SYNTAX,
	    "that is empty");
	b.n = 0;
	add(&b, msg_gpg, 96);
	add(&b, "\xa7\x01" "encrypted", 11);
	msg_is("indeterminate SED (old format)", b.p, b.n, GETK_OK, NULL);

	/* The limits. */
	b.n = 0;
	add_packet(&b, 1, GETK_MSG_MAX_ESK_OCTETS, 3);
	add(&b, msg_gpg + 96, sizeof(msg_gpg) - 96);
	msg_is("a session key packet as long as allowed", b.p, b.n, GETK_OK,
	    NULL);
	b.n = 0;
	add_packet(&b, 1, GETK_MSG_MAX_ESK_OCTETS + 1, 3);
	add(&b, msg_gpg + 96, sizeof(msg_gpg) - 96);
	msg_is("a session key packet too long", b.p, b.n, GETK_ERR_SYNTAX,
	    "that is too long");
	b.n = 0;
	while (b.n < (GETK_MSG_MAX_ESK + 1) * 96)
		add(&b, msg_gpg, 96);
	add(&b, msg_gpg + 96, sizeof(msg_gpg) - 96);
	msg_is("too many session keys", b.p, b.n, GETK_ERR_SYNTAX,
	    "after too many session key packets");
	bytes_free(&b);
}

int
main(void)
{
	test_walker();
	test_key();
	test_message();
	return done_testing();
}
