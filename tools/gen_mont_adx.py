# SPDX-License-Identifier: Apache-2.0
"""Generates src/crypto/mont_adx.inc, the x86-64 mulx/adcx/adox kernels of mont.c.

The file holds four fully unrolled inline-asm functions for 16-limb
(1024-bit) operands:

  prod_adx      t = a*b, the 32-limb schoolbook product (256 mulx);
  triangle_adx  t = sum of a[i]*a[j] for i < j, the off-diagonal half of a
                square (120 mulx);
  double_add_diagonal_adx
                t = 2t + the squares a[k]^2 (16 mulx): with the triangle,
                the full square;
  redc_adx      word-by-word Montgomery reduction of t, r = t/R mod m.

Each is a sequence of multiply-accumulate rows: a row adds x * v[first..]
into a window of t, with rdx = x. mulx leaves the flags alone, so the low
halves of the products ride one carry chain (adcx, CF) and the high halves of
the previous products another (adox, OF); "xor z, z" clears both at the start
of a row. The row's top limb (last high half plus both carries; the row's sum
fits in its limbs, so nothing is lost) is not added into t: it goes to hs[row]
and all tops are added to t[16..31] in one adc chain at the end. A row then
depends on the previous one only through the limbs it reads first, so
consecutive rows overlap in the out-of-order core instead of waiting for the
previous row's last carry.

In the reduction, the multiplier of row i+1 is u = t[i+1] * m0inv where
t[i+1] is the limb row i has just written: it is copied to a register (nx) as
it is produced and multiplied after the row, as imul clobbers the flags.
Deferred tops land at limbs >= 16, above every limb a multiplier is read from.

Everything is straight-line code on fixed addresses, so the kernels are
constant time. Unrolling by hand is error prone, hence this generator; it is
deterministic, and tests/unit/test_mont_generated.sh checks that the
committed file is exactly its output.

Usage: python3 tools/gen_mont_adx.py [OUTPUT]   (default: src/crypto/mont_adx.inc)
"""

import os
import sys

LIMBS = 16
LIMB_BYTES = 8
ASM_INDENT = " " * len("    __asm__ volatile(")


class Asm:
    """An instruction list, rendered as the string pieces of a GNU C asm statement."""

    def __init__(self):
        self.lines = []

    def op(self, text):
        self.lines.append(text)

    def render(self):
        pieces = ['"%s\\n\\t"' % line for line in self.lines]
        return ("\n" + ASM_INDENT).join(pieces)


def off(limb):
    """Byte offset of a limb, as used in "off(%[base])" operands."""
    return LIMB_BYTES * limb


def mac_row(asm, row, base, first, count, tpos, store_first=True, capture_next=False):
    """t[tpos + k] += rdx * base[first + k] for k < count; the top limb goes to hs[row].

    h0 and h1 alternate as the high half of the current and of the previous
    product. store_first=False skips storing the row's first limb (the
    reduction zeroes it by construction); capture_next copies the row's
    second limb to nx for the next reduction multiplier.
    """
    asm.op("xorl %k[z], %k[z]")
    for k in range(count):
        high, prev_high = ("h0", "h1") if k % 2 == 0 else ("h1", "h0")
        pos = tpos + k
        asm.op("mulxq %d(%%[%s]), %%[lo], %%[%s]" % (off(first + k), base, high))
        asm.op("adcxq %d(%%[t]), %%[lo]" % off(pos))
        if k > 0:
            asm.op("adoxq %%[%s], %%[lo]" % prev_high)
        if k > 0 or store_first:
            asm.op("movq %%[lo], %d(%%[t])" % off(pos))
        if capture_next and k == 1:
            asm.op("movq %[lo], %[nx]")
    top = "h0" if (count - 1) % 2 == 0 else "h1"
    asm.op("adoxq %%[z], %%[%s]" % top)
    asm.op("adcxq %%[z], %%[%s]" % top)
    asm.op("movq %%[%s], %d(%%[hs])" % (top, off(row)))


def add_tops(asm, keep_carry):
    """t[16..31] += hs[0..15] in one carry chain; with keep_carry, z = the carry out."""
    for k in range(LIMBS):
        asm.op("movq %d(%%[hs]), %%[lo]" % off(k))
        asm.op("%s %%[lo], %d(%%[t])" % ("addq" if k == 0 else "adcq", off(LIMBS + k)))
    if keep_carry:
        asm.op("movl $0, %k[z]")  # mov, not xor: the carry flag must survive
        asm.op("adcq $0, %[z]")


def prod_body():
    """Row i adds a * b[i] at limb i."""
    asm = Asm()
    for i in range(LIMBS):
        asm.op("movq %d(%%[b]), %%%%rdx" % off(i))
        mac_row(asm, i, "a", 0, LIMBS, i)
    add_tops(asm, keep_carry=False)
    return asm


def triangle_body():
    """Row i adds a[i] * a[i+1..15] at limb 2i+1; there is no row 15."""
    asm = Asm()
    for i in range(LIMBS - 1):
        asm.op("movq %d(%%[a]), %%%%rdx" % off(i))
        mac_row(asm, i, "a", i + 1, LIMBS - 1 - i, 2 * i + 1)
    asm.op("movq $0, %d(%%[hs])" % off(LIMBS - 1))
    add_tops(asm, keep_carry=False)
    return asm


def double_add_diagonal_body():
    """t = 2t + sum a[k]^2 * 2^(128k): doubling on CF (adcx x, x), squares on OF.

    The result is a^2 < 2^2048 when t is the triangle of a, so neither chain
    carries out of limb 31.
    """
    asm = Asm()
    asm.op("xorl %k[z], %k[z]")
    for k in range(LIMBS):
        asm.op("movq %d(%%[a]), %%%%rdx" % off(k))
        asm.op("mulxq %%rdx, %[lo], %[h0]")
        for pos, part in ((2 * k, "lo"), (2 * k + 1, "h0")):
            asm.op("movq %d(%%[t]), %%[h1]" % off(pos))
            asm.op("adcxq %[h1], %[h1]")
            asm.op("adoxq %%[%s], %%[h1]" % part)
            asm.op("movq %%[h1], %d(%%[t])" % off(pos))
    return asm


def redc_body():
    """Row i adds u_i * m at limb i, u_i = t[i] * m0inv making t[i] zero."""
    asm = Asm()
    asm.op("movq 0(%[t]), %%rdx")
    asm.op("imulq %[m0inv], %%rdx")
    for i in range(LIMBS):
        last = i == LIMBS - 1
        mac_row(asm, i, "m", 0, LIMBS, i, store_first=False, capture_next=not last)
        if not last:
            asm.op("imulq %[m0inv], %[nx]")
            asm.op("movq %[nx], %%rdx")
    add_tops(asm, keep_carry=True)
    return asm


def c_function(comment, signature, scratch, asm, outputs, inputs, after=None):
    """One static function around one asm statement, laid out as clang-format does."""
    lines = [comment, signature, "{", "    uint64_t %s;" % ", ".join(scratch)]
    lines.append("    __asm__ volatile(" + asm.render())
    lines.append(ASM_INDENT + ": " + outputs)
    lines.append(ASM_INDENT + ": " + inputs)
    lines.append(ASM_INDENT + ': "rdx", "cc", "memory");')
    if after:
        lines.append("    " + after)
    lines.append("}")
    return "\n".join(lines) + "\n"


SCRATCH_OUTPUTS = '[lo] "=&r"(lo), [h0] "=&r"(h0), [h1] "=&r"(h1), [z] "=&r"(z)'

HEADER = """\
/* SPDX-License-Identifier: Apache-2.0 */
/* generated by tools/gen_mont_adx.py; do not edit */
/*
 * x86-64 mulx/adcx/adox kernels of mont.c, fully unrolled; included by
 * mont.c (which supplies N, struct mont and reduce_once_adx) on x86-64 only.
 * Each row adds x*v into t with two carry chains (adcx for the low halves of
 * the products, adox for the high halves); its top limb goes to hs[] and all
 * tops are added in one chain at the end, so a row depends on the previous
 * one only through early limbs and consecutive rows overlap in the pipeline.
 * Every row's sum fits in its 17 limbs, so no carry is lost. The generator
 * explains the details.
 */
"""


def generate():
    parts = [HEADER]
    parts.append(
        c_function(
            "/* t = a*b (32 limbs); t zeroed by the caller, hs is scratch (N limbs). */",
            "static void prod_adx(uint64_t *t, uint64_t *hs, const uint64_t *a, const uint64_t *b)",
            ["lo", "h0", "h1", "z"],
            prod_body(),
            SCRATCH_OUTPUTS,
            '[t] "r"(t), [hs] "r"(hs), [a] "r"(a), [b] "r"(b)',
        )
    )
    parts.append(
        c_function(
            "/* t = sum over i < j of a[i]*a[j]*2^(64(i+j)) (120 products); t zeroed by the caller. */",
            "static void triangle_adx(uint64_t *t, uint64_t *hs, const uint64_t *a)",
            ["lo", "h0", "h1", "z"],
            triangle_body(),
            SCRATCH_OUTPUTS,
            '[t] "r"(t), [hs] "r"(hs), [a] "r"(a)',
        )
    )
    parts.append(
        c_function(
            "/* t = 2t + the squares a[k]^2 at limb 2k: completes a square from its triangle. */",
            "static void double_add_diagonal_adx(uint64_t *t, const uint64_t *a)",
            ["lo", "h0", "h1", "z"],
            double_add_diagonal_body(),
            SCRATCH_OUTPUTS,
            '[t] "r"(t), [a] "r"(a)',
        )
    )
    parts.append(
        c_function(
            "/*\n"
            " * Word-by-word Montgomery reduction, r = t/R mod m for t < mR (t is\n"
            " * overwritten). Each row's multiplier u depends on the previous row, so the\n"
            " * next u is computed from the register holding the new t[i+1] rather than\n"
            " * reloaded; imulq clobbers the flags, so it comes after the row's carry chains.\n"
            " */",
            "static void redc_adx(uint64_t *r, uint64_t *t, uint64_t *hs, const struct mont *ctx)",
            ["lo", "h0", "h1", "z", "nx"],
            redc_body(),
            SCRATCH_OUTPUTS + ', [nx] "=&r"(nx)',
            '[t] "r"(t), [hs] "r"(hs), [m] "r"(ctx->m.w), [m0inv] "rm"(ctx->m0inv)',
            after="reduce_once_adx(r, t + N, z, &ctx->m);",
        )
    )
    return "\n".join(parts)


def main(argv):
    if len(argv) > 2:
        sys.stderr.write("usage: gen_mont_adx.py [OUTPUT]\n")
        return 2
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    path = argv[1] if len(argv) == 2 else os.path.join(root, "src", "crypto", "mont_adx.inc")
    with open(path, "w", encoding="ascii", newline="\n") as out:
        out.write(generate())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
