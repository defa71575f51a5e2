rule geometry:
    output:
        model="results/{case}/geometry/geometry.xao",
        numbers="results/{case}/geometry/geometry.json",
    params:
        geometry=case_geometry,
    log:
        "results/logs/geometry/{case}.log",
    benchmark:
        "results/benchmarks/geometry/{case}.tsv"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    conda:
        "../../environment.yml"
    script:
        "../scripts/geometry.py"
