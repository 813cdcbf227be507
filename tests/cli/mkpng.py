import struct, sys, zlib
def png(path, w, h, v=100):
    raw = b''.join(b'\x00' + bytes([v]) * w for _ in range(h))
    def chunk(t, d): return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
    open(path, 'wb').write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 0, 0, 0, 0)) +
                           chunk(b'IDAT', zlib.compress(raw, 1)) + chunk(b'IEND', b''))
# mkpng.py DIR W H N [NAMEFMT]
d, w, h, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
fmt = sys.argv[5] if len(sys.argv) > 5 else 'frame_{:04d}.png'
import os; os.makedirs(d, exist_ok=True)
for i in range(n): png(os.path.join(d, fmt.format(i)), w, h, 60 + 10 * (i % 5))
