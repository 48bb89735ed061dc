try:
    from .launch import run
except KeyboardInterrupt:                  # Ctrl-C while Python was still reading derive's first module
    import sys
    sys.stderr.write("derive: interrupted\n")
    sys.exit(130)

run()
