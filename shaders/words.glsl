// SPDX-License-Identifier: GPL-3.0-or-later
//
// Reading a weight buffer as raw 32-bit words, so that no kernel needs 16-bit
// or 8-bit storage. The including shader declares `uint w_words[]`. ggml's
// blocks are 2-byte aligned (a Q8_0 block is 34 bytes), so 16- and 32-bit
// values may straddle two words.

// The 16 bits at even byte offset @b.
uint w_u16 (uint b)
{
  uint word = w_words[b >> 2];
  return (b & 2u) != 0u ? word >> 16 : word & 0xffffu;
}

// The 32 bits at even byte offset @b (little-endian).
uint w_u32 (uint b)
{
  uint i = b >> 2;
  if ((b & 2u) == 0u)
    return w_words[i];
  return (w_words[i] >> 16) | (w_words[i + 1u] << 16);
}

float w_f16 (uint b)
{
  return unpackHalf2x16 (w_u16 (b)).x;
}

// The four signed bytes of @w as floats, lowest byte first.
vec4 unpack_i8x4 (uint w)
{
  ivec4 v = ivec4 (int (w << 24), int (w << 16), int (w << 8), int (w)) >> 24;
  return vec4 (v);
}

// The byte at offset @b.
uint w_u8 (uint b)
{
  return (w_words[b >> 2] >> (8u * (b & 3u))) & 0xffu;
}
