rule geometry:
    output:
        model="results/geometries/{geometry}/geometry.xao",
        numbers="results/geometries/{geometry}/geometry.json",
    params:
        geometry=geometry_params,
    log:
        "results/logs/geometry/{geometry}.log",
    benchmark:
        "results/benchmarks/geometry/{geometry}.tsv"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    conda:
        "../../environment.yml"
    script:
        "../scripts/geometry.py"
