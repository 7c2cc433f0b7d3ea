"""Administrative divisions: provinces (adcode prefix, names, NBS region) and the four municipalities."""
from __future__ import annotations

# Province adcode prefix -> (English name, region). Regions: the NBS east / central / west split.
PROVINCES: dict[str, tuple[str, str, str]] = {
    "11": ("北京市", "Beijing", "east"), "12": ("天津市", "Tianjin", "east"), "13": ("河北省", "Hebei", "east"),
    "14": ("山西省", "Shanxi", "central"), "15": ("内蒙古自治区", "Inner Mongolia", "west"),
    "21": ("辽宁省", "Liaoning", "east"), "22": ("吉林省", "Jilin", "central"),
    "23": ("黑龙江省", "Heilongjiang", "central"), "31": ("上海市", "Shanghai", "east"),
    "32": ("江苏省", "Jiangsu", "east"), "33": ("浙江省", "Zhejiang", "east"), "34": ("安徽省", "Anhui", "central"),
    "35": ("福建省", "Fujian", "east"), "36": ("江西省", "Jiangxi", "central"), "37": ("山东省", "Shandong", "east"),
    "41": ("河南省", "Henan", "central"), "42": ("湖北省", "Hubei", "central"), "43": ("湖南省", "Hunan", "central"),
    "44": ("广东省", "Guangdong", "east"), "45": ("广西壮族自治区", "Guangxi", "west"),
    "46": ("海南省", "Hainan", "east"), "50": ("重庆市", "Chongqing", "west"), "51": ("四川省", "Sichuan", "west"),
    "52": ("贵州省", "Guizhou", "west"), "53": ("云南省", "Yunnan", "west"), "54": ("西藏自治区", "Tibet", "west"),
    "61": ("陕西省", "Shaanxi", "west"), "62": ("甘肃省", "Gansu", "west"), "63": ("青海省", "Qinghai", "west"),
    "64": ("宁夏回族自治区", "Ningxia", "west"), "65": ("新疆维吾尔自治区", "Xinjiang", "west"),
}

MUNICIPALITIES = ("110100", "120100", "310100", "500100")


def province_resolver() -> dict[str, str]:
    """Province name (full or short, Chinese or English) -> 6-digit province adcode."""
    out: dict[str, str] = {}
    for prefix, (zh, en, _region) in PROVINCES.items():
        code = prefix + "0000"
        for key in (zh, en, en.lower()):
            out[key] = code
        for suffix in ("壮族自治区", "回族自治区", "维吾尔自治区", "自治区", "省", "市"):
            if zh.endswith(suffix):
                out[zh[: -len(suffix)]] = code
                break
    return out
