"""`make bench`: every benchmark, each printing its table and writing bench/out/*.csv.

Sizes are chosen so the whole run stays under about 20 minutes on the 2-core
reference machine; each module's own command line runs other sizes.
"""

from bench import end_to_end, febrl, load, matching, validate

if __name__ == "__main__":
    end_to_end.main(["--scales", "1", "10", "100", "--repeats", "2"])
    matching.main([])
    febrl.main([])
    validate.main([])
    load.main([])
