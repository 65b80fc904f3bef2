const std = @import("std");

pub fn main() !void {
    var gpa: std.heap.DebugAllocator(.{}) = .init;
    const alloc = gpa.allocator();
    const text =
        \\{"name": "wasmfx", "values": [1, 2.5, -3e10, 4], "nested": {"ok": true, "s": "x\u00e9y"}}
    ;
    const parsed = try std.json.parseFromSlice(std.json.Value, alloc, text, .{});
    defer parsed.deinit();
    var h: [32]u8 = undefined;
    std.crypto.hash.sha2.Sha256.hash(text, &h, .{});
    var b: [32]u8 = undefined;
    std.crypto.hash.Blake3.hash(text, &b, .{});
    var x: [64]u8 = undefined;
    std.crypto.hash.sha2.Sha512.hash(text, &x, .{});
    var list: [100]f64 = undefined;
    var prng = std.Random.DefaultPrng.init(42);
    for (&list) |*v| v.* = prng.random().float(f64) * 1000.0;
    std.mem.sort(f64, &list, {}, std.sort.asc(f64));
    var buf: [4096]u8 = undefined;
    const s = try std.fmt.bufPrint(&buf, "{s} {x} {x} {d:.3} {e} {}\n", .{ parsed.value.object.get("name").?.string, h, b[0..8], list[0], list[99], parsed.value.object.count() });
    std.debug.print("{s}", .{s});
    const z = try std.fmt.parseFloat(f64, "123.456e7");
    const s2 = try std.fmt.bufPrint(&buf, "{d}\n", .{z});
    std.debug.print("{s}", .{s2});
}
