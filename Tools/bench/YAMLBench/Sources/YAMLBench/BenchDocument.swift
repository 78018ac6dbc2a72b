/// A deterministic build-script-like YAML document: an env mapping and many steps of every kind.
enum BenchDocument {
    static func make(minimumBytes: Int) -> String {
        var out = "# generated benchmark input: a long Prostagma build script\nenv:\n"
        for k in 0..<200 { out += "  KEY_\(k): value-\(k)\n" }
        out += "  PORT: 8080\n  DEBUG: true\nsteps:\n"
        var n = 0
        while out.utf8.count < minimumBytes {
            out += """
                  - shell: echo step \(n)   # a comment
                    timeout: 10m
                  - shell: |
                      cd /srv/app-\(n)
                      ./migrate --step \(n) --verbose
                      echo "done with \(n)"
                  - download:
                      url: https://example.com/artifacts/app-\(n).zip
                      dest: /tmp/app-\(n).zip
                      cache: "false"
                      sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
                      mode: "0755"
                  - unzip: {src: /tmp/app-\(n).zip, dest: '/srv/app-\(n)', overwrite: "true"}
                  - shell: >
                      a folded command line
                      continued here \(n)

                """
            n += 1
        }
        return out
    }
}
